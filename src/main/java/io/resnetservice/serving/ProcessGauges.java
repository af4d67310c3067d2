package io.resnetservice.serving;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.stereotype.Component;

/**
 * What the chart's dashboard and alerts need from the process itself: resident memory against the
 * container's memory limit (the JVM's heap figures miss libtorch's native memory), and whether the
 * readiness probe would pass (Prometheus still scrapes a pod that is not ready).
 */
@Component
public class ProcessGauges {

    static final Path STATUS = Path.of("/proc/self/status");
    static final List<Path> LIMITS = List.of(
            Path.of("/sys/fs/cgroup/memory.max"),                      // cgroup v2
            Path.of("/sys/fs/cgroup/memory/memory.limit_in_bytes"));   // cgroup v1

    public ProcessGauges(MeterRegistry registry, ApplicationAvailability availability) {
        Gauge.builder("process.memory.resident", () -> residentBytes(STATUS))
                .description("Resident memory of the process (heap, native libraries, tensors)")
                .baseUnit("bytes")
                .register(registry);
        Gauge.builder("process.memory.limit", () -> limitBytes(LIMITS))
                .description("The container's memory limit; NaN when there is none")
                .baseUnit("bytes")
                .register(registry);
        Gauge.builder("service.ready", () -> availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC ? 1 : 0)
                .description("1 while the readiness probe answers UP (models loaded and warmed, not shutting down)")
                .register(registry);
    }

    /** VmRSS of a /proc status file in bytes; NaN where there is none. */
    static double residentBytes(Path status) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }

    /** The first cgroup memory limit found; NaN for none, "max", or v1's "unlimited" (a page-rounded 2^63). */
    static double limitBytes(List<Path> candidates) {
        for (Path file : candidates) {
            try {
                String value = Files.readString(file).trim();
                if (value.equals("max")) {
                    return Double.NaN;
                }
                long bytes = Long.parseLong(value);
                return bytes >= Long.MAX_VALUE / 2 ? Double.NaN : bytes;
            } catch (IOException | RuntimeException e) {
                // not this cgroup version
            }
        }
        return Double.NaN;
    }
}
