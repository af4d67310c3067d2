package io.resnetservice.runtime;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The glibc malloc settings the service runs with (environment variables, read once when the process
 * starts, so the Dockerfile, the Maven plugins and bench/run.sh set them; the JVM cannot).
 *
 * <p>Why: libtorch allocates every activation afresh and frees it after the pass. With glibc's
 * defaults, buffers this large come from {@code mmap} or from a heap that is trimmed as soon as they are
 * freed, so each forward pass page-faults its tens of megabytes back in and the batch workers queue in
 * the kernel (docs/benchmarks.md has the measurements). The memory is kept for the next pass instead
 * of returned: resident size stays at the high-water mark of a pass.
 */
public final class AllocatorSettings {

    /**
     * Name to value. Allocations up to 256 MB come from the heap instead of {@code mmap}; the heap is
     * trimmed only when 1 GB lies free at its top; each heap extension asks for 64 MB more, so
     * per-thread arenas grow in few steps. At most two arenas: every request thread that decodes a photo
     * would otherwise keep an arena of its own at its high-water mark, untrimmed.
     */
    public static final Map<String, String> RECOMMENDED = recommended();

    private AllocatorSettings() {}

    /** The recommended variables {@code environment} does not set (any value set counts as a choice). */
    public static List<String> missing(Map<String, String> environment) {
        return RECOMMENDED.keySet().stream().filter(name -> !environment.containsKey(name)).toList();
    }

    /** The settings as {@code NAME=value} words, for a message or a shell line. */
    public static String asShellAssignments() {
        return String.join(" ", RECOMMENDED.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
    }

    interface Libc extends Library {
        int malloc_trim(long pad);
    }

    /**
     * Gives back to the system the memory glibc holds free in its heaps ({@code malloc_trim(0)}: free pages
     * anywhere in an arena, not only at its top), e.g. what loading and compiling a model allocated and
     * freed, which the trim threshold above otherwise keeps for good. Passes that follow fault in only
     * what they use. False where glibc is not the C library.
     */
    public static boolean releaseFreeNativeMemory() {
        try {
            Native.load("c", Libc.class).malloc_trim(0);
            return true;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false;
        }
    }

    private static Map<String, String> recommended() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("MALLOC_MMAP_THRESHOLD_", "268435456");
        settings.put("MALLOC_TRIM_THRESHOLD_", "1073741824");
        settings.put("MALLOC_TOP_PAD_", "67108864");
        settings.put("MALLOC_ARENA_MAX", "2");
        return Collections.unmodifiableMap(settings);
    }
}
