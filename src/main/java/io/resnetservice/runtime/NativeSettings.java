package io.resnetservice.runtime;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Applies the native settings the service needs inside its own process, so that a plain {@code java -jar}
 * with nothing exported runs as the container does: glibc's malloc tunables through {@code mallopt}
 * ({@link AllocatorSettings#RECOMMENDED}) and OpenMP's passive wait policy through {@code setenv} before
 * libtorch (and with it libgomp, which reads {@code OMP_WAIT_POLICY} once, when it loads) is loaded. A variable
 * the user exported wins: it is left alone, and glibc has already read it.
 */
public final class NativeSettings {

    /** What one {@link #apply} did: settings applied here, left to the user's environment, or not applied. */
    public record Outcome(List<String> applied, List<String> exported, List<String> failed) {}

    public static final String OMP_WAIT_POLICY = "OMP_WAIT_POLICY";
    public static final String PASSIVE = "PASSIVE";

    interface Libc extends Library {
        int mallopt(int param, int value);

        int setenv(String name, String value, int overwrite);

        String getenv(String name);
    }

    private static Outcome outcome;

    private NativeSettings() {}

    /** Applies the settings once per process; later calls return the first call's outcome. */
    public static synchronized Outcome apply() {
        if (outcome == null) {
            outcome = apply(System.getenv(), libc(), openMpLoaded());
        }
        return outcome;
    }

    static Outcome apply(Map<String, String> environment, Libc libc, boolean openMpLoaded) {
        List<String> applied = new ArrayList<>();
        List<String> exported = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (Map.Entry<String, String> setting : AllocatorSettings.RECOMMENDED.entrySet()) {
            String name = setting.getKey();
            if (environment.containsKey(name)) {
                exported.add(name);
            } else if (libc != null && libc.mallopt(malloptParameter(name), Integer.parseInt(setting.getValue())) == 1) {
                applied.add(name);
            } else {
                failed.add(name);
            }
        }
        if (environment.containsKey(OMP_WAIT_POLICY)) {
            exported.add(OMP_WAIT_POLICY);
        } else if (libc != null && !openMpLoaded && libc.setenv(OMP_WAIT_POLICY, PASSIVE, 0) == 0) {
            applied.add(OMP_WAIT_POLICY);
        } else {
            failed.add(OMP_WAIT_POLICY);
        }
        return new Outcome(List.copyOf(applied), List.copyOf(exported), List.copyOf(failed));
    }

    /** {@code M_TRIM_THRESHOLD}, {@code M_TOP_PAD}, {@code M_MMAP_THRESHOLD}, {@code M_ARENA_MAX} of malloc.h. */
    static int malloptParameter(String variable) {
        return switch (variable) {
            case "MALLOC_TRIM_THRESHOLD_" -> -1;
            case "MALLOC_TOP_PAD_" -> -2;
            case "MALLOC_MMAP_THRESHOLD_" -> -3;
            case "MALLOC_ARENA_MAX" -> -8;
            default -> throw new IllegalArgumentException(variable);
        };
    }

    /** The C library's view of a variable (what libgomp reads), which {@link System#getenv} does not see change. */
    public static String nativeEnvironment(String name) {
        Libc libc = libc();
        return libc == null ? null : libc.getenv(name);
    }

    private static Libc libc() {
        try {
            return Native.load("c", Libc.class);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }

    /** Whether an OpenMP runtime is already mapped into this process: then it has read its environment. */
    static boolean openMpLoaded() {
        try {
            return Files.readAllLines(Path.of("/proc/self/maps")).stream()
                    .anyMatch(line -> line.contains("libgomp") || line.contains("libiomp"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
