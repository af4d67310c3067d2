package io.resnetservice.repository;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Whether a model version fits before it is loaded: a load needs about {@link #FACTOR} times its files'
 * bytes of native memory (the weights as read, the compiled copy, the warm-up's activations) while the
 * version it replaces still serves. Available memory is the smaller of the machine's MemAvailable and
 * what the container's cgroup still allows.
 */
final class MemoryHeadroom {

    static final int FACTOR = 3;
    static final long SLACK = 64L << 20;

    private MemoryHeadroom() {}

    /** Native bytes a version of {@code fileBytes} is expected to take while it loads. */
    static long needed(long fileBytes) {
        return fileBytes * FACTOR + SLACK;
    }

    /** Bytes this process may still take, or empty where the system does not say. */
    static OptionalLong available() {
        OptionalLong machine = memAvailable();
        OptionalLong container = cgroupLeft();
        if (machine.isPresent() && container.isPresent()) {
            return OptionalLong.of(Math.min(machine.getAsLong(), container.getAsLong()));
        }
        return machine.isPresent() ? machine : container;
    }

    private static OptionalLong memAvailable() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("MemAvailable:")) {
                    String kb = line.substring("MemAvailable:".length()).replace("kB", "").strip();
                    return OptionalLong.of(Long.parseLong(kb) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: no estimate
        }
        return OptionalLong.empty();
    }

    private static OptionalLong cgroupLeft() {
        try {
            Path max = Path.of("/sys/fs/cgroup/memory.max");
            Path current = Path.of("/sys/fs/cgroup/memory.current");
            if (!Files.isReadable(max) || !Files.isReadable(current)) {
                return OptionalLong.empty();
            }
            String limit = Files.readString(max, StandardCharsets.US_ASCII).strip();
            if (limit.equals("max")) {
                return OptionalLong.empty();
            }
            long used = Long.parseLong(Files.readString(current, StandardCharsets.US_ASCII).strip());
            return OptionalLong.of(Math.max(0, Long.parseLong(limit) - used));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }
}
