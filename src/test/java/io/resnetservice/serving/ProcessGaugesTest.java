package io.resnetservice.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessGaugesTest {

    @TempDir
    Path dir;

    Path file(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content);
    }

    @Test
    void residentMemoryIsVmRssInBytes() throws Exception {
        Path status = file("status", "Name:\tjava\nVmHWM:\t  999 kB\nVmRSS:\t  123456 kB\nThreads:\t40\n");
        assertEquals(123456 * 1024.0, ProcessGauges.residentBytes(status));
        assertTrue(Double.isNaN(ProcessGauges.residentBytes(dir.resolve("missing"))));
        assertTrue(ProcessGauges.residentBytes(ProcessGauges.STATUS) > 10e6, "this JVM's own resident memory");
    }

    @Test
    void theMemoryLimitComesFromEitherCgroupVersionAndNoLimitIsNaN() throws Exception {
        Path missing = dir.resolve("missing");
        assertEquals(3221225472.0, ProcessGauges.limitBytes(List.of(file("v2", "3221225472\n"), missing)));
        assertEquals(2147483648.0, ProcessGauges.limitBytes(List.of(missing, file("v1", "2147483648\n"))));
        assertTrue(Double.isNaN(ProcessGauges.limitBytes(List.of(file("max", "max\n")))));
        assertTrue(Double.isNaN(ProcessGauges.limitBytes(List.of(missing, file("unlimited", "9223372036854771712\n")))));
        assertTrue(Double.isNaN(ProcessGauges.limitBytes(List.of(missing))));
    }
}
