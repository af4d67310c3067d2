package io.resnetservice.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;

/**
 * The instruction-set extensions reduced precision depends on, from the kernel's {@code /proc/cpuinfo}
 * flags (Linux). An unreadable file reads as a CPU without them.
 */
public record CpuFeatures(Set<String> flags) {

    private static final Path CPUINFO = Path.of("/proc/cpuinfo");

    public CpuFeatures {
        flags = Set.copyOf(flags);
    }

    public static CpuFeatures current() {
        try {
            return parse(Files.readString(CPUINFO));
        } catch (IOException | RuntimeException e) {
            return new CpuFeatures(Set.of());
        }
    }

    /** The flags of the first processor listed. */
    static CpuFeatures parse(String cpuinfo) {
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals("flags")) {
                return new CpuFeatures(new TreeSet<>(Arrays.asList(line.substring(colon + 1).trim().split("\\s+"))));
            }
        }
        return new CpuFeatures(Set.of());
    }

    /** bfloat16 arithmetic in hardware: AVX512-BF16 or AMX-BF16. */
    public boolean bf16() {
        return flags.contains("avx512_bf16") || flags.contains("amx_bf16");
    }

    /** int8 dot products in hardware (VNNI or AMX-INT8): where libtorch's x86 engine picks oneDNN's int8 kernels. */
    public boolean int8DotProduct() {
        return flags.contains("avx512_vnni") || flags.contains("avx_vnni") || flags.contains("amx_int8");
    }
}
