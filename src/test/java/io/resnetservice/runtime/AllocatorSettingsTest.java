package io.resnetservice.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
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

    @Test
    void shellAssignmentsCarryTheValues() {
        assertThat(AllocatorSettings.asShellAssignments()).isEqualTo(
                "MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 MALLOC_ARENA_MAX=2");
    }

    /** The container, `spring-boot:run`, the tests and the benchmark must run with the same settings. */
    @Test
    void everyLauncherSetsTheRecommendedValues() throws IOException {
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        String pom = Files.readString(Path.of("pom.xml"));
        String bench = Files.readString(Path.of("bench/run.sh"));
        String soak = Files.readString(Path.of("bench/soak.sh"));
        AllocatorSettings.RECOMMENDED.forEach((name, value) -> {
            assertThat(dockerfile).contains(name + "=" + value);
            // spring-boot:run, surefire and failsafe
            assertThat(pom.split("<" + name + ">" + value + "</" + name + ">", -1)).hasSize(4);
            assertThat(bench).contains(name + "=" + value);
            assertThat(soak).contains(name + "=" + value);
        });
    }
}
