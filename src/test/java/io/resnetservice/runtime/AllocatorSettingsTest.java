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

    @Test
    void shellAssignmentsCarryTheValues() {
        assertThat(AllocatorSettings.asShellAssignments()).isEqualTo(
                "MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 MALLOC_ARENA_MAX=2");
    }

    /**
     * The container, `spring-boot:run`, the tests and every benchmark script that starts a JVM must run with the
     * same settings: the figures are only comparable if they do.
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
            // spring-boot:run, surefire and failsafe
            assertThat(pom.split("<" + name + ">" + value + "</" + name + ">", -1)).hasSize(4);
            for (Path script : scripts) {
                try {
                    String text = Files.readString(script);
                    if (text.contains("java ")) {
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
