package io.resnetservice.runtime;

import com.sun.jna.Memory;
import java.util.ArrayList;
import java.util.List;

/**
 * Run by {@link NativeSettingsTest} in a JVM started with none of the settings exported: applies them (with
 * argument {@code apply}) or not, then prints what the C library sees and how much of 96 MB of freed 4 MB
 * blocks stays resident.
 */
public final class NativeSettingsProbe {

    private NativeSettingsProbe() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("apply")) {
            System.out.println("outcome=" + NativeSettings.apply());
        }
        System.out.println("omp=" + NativeSettings.nativeEnvironment(NativeSettings.OMP_WAIT_POLICY));
        AllocatorSettings.releaseFreeNativeMemory();
        long before = AllocatorSettingsTest.residentKb();
        List<Memory> blocks = new ArrayList<>();
        for (int b = 0; b < 24; b++) {
            Memory block = new Memory(4L << 20);
            for (long i = 0; i < block.size(); i += 4096) {
                block.setByte(i, (byte) 1);
            }
            blocks.add(block);
        }
        long touched = AllocatorSettingsTest.residentKb();
        blocks.forEach(Memory::close);
        long freed = AllocatorSettingsTest.residentKb();
        System.out.println("touchedKb=" + (touched - before));
        System.out.println("keptKb=" + (freed - before));
    }
}
