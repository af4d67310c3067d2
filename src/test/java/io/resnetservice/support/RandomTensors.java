package io.resnetservice.support;

import java.util.Random;

/** Standard normal float tensors, flat, for inputs whose values do not matter but must differ. */
public final class RandomTensors {

    private RandomTensors() {}

    /** {@code length} values drawn from {@code random}, which the caller may keep drawing from. */
    public static float[] gaussian(int length, Random random) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    public static float[] gaussian(int length, long seed) {
        return gaussian(length, new Random(seed));
    }
}
