package io.resnetservice.serving;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.resnetservice.SuppressForbidden;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * G1 allocates an object of half a heap region or more as "humongous": whole regions of the old
 * generation, taken outside the young generation and counted against the heap until a collection
 * finds them dead. Each request's input tensor is one float array (0.6 MB for 3x224x224), so in the
 * 1 MB regions G1 picks for heaps under 4 GB every request made one, and under load the heap grew to
 * several times its live size (bench/memory.sh). This says so at startup, with the setting that avoids it.
 */
@Component
public class HeapRegions {

    private static final Logger log = LoggerFactory.getLogger(HeapRegions.class);
    /** An array's header on a 64-bit JVM with compressed class pointers, rounded up. */
    private static final long ARRAY_HEADER_BYTES = 16;
    private static final long MB = 1 << 20;

    private final ModelRegistry models;

    public HeapRegions(ModelRegistry models) {
        this.models = models;
    }

    /** The heap's region size when the JVM runs G1, else empty. */
    @SuppressForbidden(reason = "jdk.management is a supported JDK module; without it the check reports no G1")
    static OptionalLong g1RegionBytes() {
        HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        if (hotspot == null || !"true".equals(hotspot.getVMOption("UseG1GC").getValue())) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseLong(hotspot.getVMOption("G1HeapRegionSize").getValue()));
    }

    /** Whether an array of {@code bytes} is humongous in regions of {@code regionBytes}. */
    static boolean humongous(long bytes, long regionBytes) {
        return bytes + ARRAY_HEADER_BYTES >= regionBytes / 2;
    }

    /** The smallest region size G1 accepts (a power of two, 1 to 32 MB) in which {@code bytes} is not humongous. */
    static long regionFor(long bytes) {
        long region = MB;
        while (humongous(bytes, region) && region < 32 * MB) {
            region *= 2;
        }
        return region;
    }

    /** The warning for an input tensor of {@code tensorBytes} in regions of {@code regionBytes}; null when none is due. */
    static String warning(String model, long tensorBytes, long regionBytes) {
        if (!humongous(tensorBytes, regionBytes)) {
            return null;
        }
        return String.format(Locale.ROOT, "Each request's input tensor for %s (%d KB) is a humongous object in "
                + "G1's %d MB heap regions: under load the heap grows far beyond what it holds. Start the JVM with "
                + "-XX:G1HeapRegionSize=%dm (the container image and the chart do)", model, tensorBytes / 1024,
                regionBytes / MB, Math.max(4, regionFor(tensorBytes) / MB));
    }

    @EventListener(ApplicationStartedEvent.class)
    public void check() {
        OptionalLong region = g1RegionBytes();
        if (region.isEmpty()) {
            return;
        }
        models.all().stream()
                .map(m -> warning(m.name(), (long) m.preprocessor().tensorSize() * Float.BYTES, region.getAsLong()))
                .filter(Objects::nonNull)
                .findFirst()
                .ifPresent(log::warn);
    }
}
