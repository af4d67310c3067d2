package io.resnetservice.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class NativeSettingsTest {

    /** A C library that records what it was asked and accepts everything. */
    static final class RecordingLibc implements NativeSettings.Libc {
        final List<String> calls = new ArrayList<>();

        @Override
        public int mallopt(int param, int value) {
            calls.add("mallopt(" + param + ", " + value + ")");
            return 1;
        }

        @Override
        public int setenv(String name, String value, int overwrite) {
            calls.add("setenv(" + name + ", " + value + ", " + overwrite + ")");
            return 0;
        }

        @Override
        public String getenv(String name) {
            return null;
        }
    }

    @Test
    void appliesWhatIsNotExportedAndLeavesTheUsersChoices() {
        RecordingLibc libc = new RecordingLibc();
        Map<String, String> environment = new HashMap<>(Map.of("MALLOC_ARENA_MAX", "8"));
        NativeSettings.Outcome outcome = NativeSettings.apply(environment, libc, false);
        assertThat(outcome.applied()).containsExactly("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
                "MALLOC_TOP_PAD_", "OMP_WAIT_POLICY");
        assertThat(outcome.exported()).containsExactly("MALLOC_ARENA_MAX");
        assertThat(outcome.failed()).isEmpty();
        assertThat(libc.calls).containsExactly("mallopt(-3, 268435456)", "mallopt(-1, 1073741824)",
                "mallopt(-2, 67108864)", "setenv(OMP_WAIT_POLICY, PASSIVE, 0)");
    }

    @Test
    void namesOnlyWhatCouldNotBeApplied() {
        RecordingLibc libc = new RecordingLibc();
        NativeSettings.Outcome late = NativeSettings.apply(Map.of(), libc, true);
        assertThat(late.failed()).containsExactly("OMP_WAIT_POLICY");
        assertThat(late.applied()).hasSize(4);
        NativeSettings.Outcome noLibc = NativeSettings.apply(Map.of("OMP_WAIT_POLICY", "ACTIVE"), null, false);
        assertThat(noLibc.failed()).containsExactlyElementsOf(AllocatorSettings.RECOMMENDED.keySet());
        assertThat(noLibc.exported()).containsExactly("OMP_WAIT_POLICY");
    }

    static Map<String, String> probe(boolean apply) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), NativeSettingsProbe.class.getName()));
        if (apply) {
            command.add("apply");
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("MALLOC_") || name.startsWith("OMP_"));
        Process p = builder.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        Map<String, String> values = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^(\\w+)=(.*)$").matcher(out);
        while (m.find()) {
            values.put(m.group(1), m.group(2));
        }
        return values;
    }

    /**
     * In a JVM started with nothing exported: without the settings glibc hands freed 4 MB blocks straight back
     * (they were mmap'ed); applied in-process they stay for the next forward pass, and libgomp will read
     * the passive wait policy.
     */
    @Test
    void theSettingsTakeEffectInAProcessStartedWithNothingExported() throws Exception {
        Map<String, String> plain = probe(false);
        Map<String, String> applied = probe(true);
        assertThat(plain.get("omp")).isEqualTo("null");
        assertThat(applied.get("omp")).isEqualTo("PASSIVE");
        assertThat(applied.get("outcome")).contains("failed=[]");
        assertThat(Long.parseLong(plain.get("touchedKb"))).isGreaterThan(80_000);
        assertThat(Long.parseLong(applied.get("touchedKb"))).isGreaterThan(80_000);
        assertThat(Long.parseLong(plain.get("keptKb"))).as("glibc's defaults give freed blocks back").isLessThan(16_000);
        assertThat(Long.parseLong(applied.get("keptKb"))).as("in-process settings keep them").isGreaterThan(80_000);
    }
}
