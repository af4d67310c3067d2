package io.resnetservice.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class AllocatorSettingsTest {

    @Test
    void reportsEveryUnsetVariableAndAcceptsAnyChosenValue() {
        assertThat(AllocatorSettings.missing(Map.of()))
                .containsExactly("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_ARENA_MAX");
        Map<String, String> environment = new HashMap<>(AllocatorSettings.RECOMMENDED);
        assertThat(AllocatorSettings.missing(environment)).isEmpty();
        environment.put("MALLOC_TOP_PAD_", "0");
        environment.remove("MALLOC_TRIM_THRESHOLD_");
        assertThat(AllocatorSettings.missing(environment)).containsExactly("MALLOC_TRIM_THRESHOLD_");
    }

    static long residentKb() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElseThrow();
    }

    /** Freed native memory stays resident under these settings until it is handed back on purpose. */
    @Test
    void freedNativeMemoryIsGivenBackOnRequest() throws IOException {
        // Blocks of 4 MB, as activations are: one allocation over an arena's 64 MB would be mmap'ed apart.
        // First give back what earlier work in this JVM left free, so the blocks need fresh pages.
        AllocatorSettings.releaseFreeNativeMemory();
        long before = residentKb();
        List<com.sun.jna.Memory> blocks = new java.util.ArrayList<>();
        for (int b = 0; b < 24; b++) {
            com.sun.jna.Memory block = new com.sun.jna.Memory(4L << 20);
            for (long i = 0; i < block.size(); i += 4096) {
                block.setByte(i, (byte) 1);
            }
            blocks.add(block);
        }
        long touched = residentKb();
        blocks.forEach(com.sun.jna.Memory::close);
        long freed = residentKb();
        assertThat(AllocatorSettings.releaseFreeNativeMemory()).as("glibc's malloc_trim").isTrue();
        long released = residentKb();
        assertThat(touched - before).as("the block became resident").isGreaterThan(80_000);
        org.junit.jupiter.api.Assumptions.assumeTrue(touched - freed < 16_000,
                "free gave the memory back at once: this JVM runs without the allocator settings");
        assertThat(freed - released).as("malloc_trim gave it back").isGreaterThan(80_000);
    }

    @Test
    void shellAssignmentsCarryTheValues() {
        assertThat(AllocatorSettings.asShellAssignments()).isEqualTo(
                "MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 MALLOC_ARENA_MAX=2");
    }

    /**
     * The container, `spring-boot:run`, the tests and every benchmark script that starts a JVM must run with the
     * same settings: the figures are only comparable if they do. The exception is a script that starts every
     * process with an emptied environment ({@code env -i}, bench/fresh.sh): it measures the service applying
     * them itself, as on a newcomer's machine.
     */
    @Test
    void everyLauncherSetsTheRecommendedValues() throws IOException {
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        String pom = Files.readString(Path.of("pom.xml"));
        List<Path> scripts;
        try (Stream<Path> bench = Files.list(Path.of("bench"))) {
            scripts = bench.filter(f -> f.toString().endsWith(".sh")).sorted().toList();
        }
        assertThat(scripts).hasSizeGreaterThanOrEqualTo(6);
        AllocatorSettings.RECOMMENDED.forEach((name, value) -> {
            assertThat(dockerfile).contains(name + "=" + value);
            // spring-boot:run, surefire, failsafe and PIT's minions
            assertThat(pom.split("<" + name + ">" + value + "</" + name + ">", -1)).hasSize(5);
            for (Path script : scripts) {
                try {
                    String text = Files.readString(script);
                    if (text.contains("java ") && !text.contains("env -i PATH=")) {
                        assertThat(text).as(script.toString()).contains(name + "=" + value);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        });
    }

    /** What the pom configures reaches the process: this test JVM, forked by surefire, runs with every setting. */
    @Test
    void theTestsRunUnderTheSettingsTheServiceRecommends() {
        assertThat(AllocatorSettings.missing(System.getenv())).isEmpty();
        AllocatorSettings.RECOMMENDED.forEach((name, value) -> assertThat(System.getenv(name)).isEqualTo(value));
    }
}
