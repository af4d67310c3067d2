package io.resnetservice.training;

import java.util.Random;

/** Training-time augmentation on raw 28x28 bytes, written straight into the normalised batch buffer. */
final class Augment {

    private static final int S = FashionMnist.SIZE;

    private Augment() {}

    static int[] permutation(int n, Random random) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /**
     * A random 28x28 crop of the image padded by {@code padding} black pixels on each side, mirrored
     * left-right with probability 1/2, then normalised. Fashion-MNIST's background is black, so the
     * padding looks like more background.
     */
    static void cropFlipNormalize(byte[] images, int offset, float[] out, int outOffset, int padding, Random random) {
        int dx = padding == 0 ? 0 : random.nextInt(2 * padding + 1) - padding;
        int dy = padding == 0 ? 0 : random.nextInt(2 * padding + 1) - padding;
        boolean flip = random.nextBoolean();
        float zero = -FashionMnist.MEAN / FashionMnist.STD;
        for (int y = 0; y < S; y++) {
            int sy = y + dy;
            for (int x = 0; x < S; x++) {
                int sx = (flip ? S - 1 - x : x) + dx;
                float value;
                if (sy < 0 || sy >= S || sx < 0 || sx >= S) {
                    value = zero;
                } else {
                    value = ((images[offset + sy * S + sx] & 0xff) / 255f - FashionMnist.MEAN) / FashionMnist.STD;
                }
                out[outOffset + y * S + x] = value;
            }
        }
    }

    static void normalize(byte[] images, int offset, float[] out, int outOffset) {
        for (int i = 0; i < S * S; i++) {
            out[outOffset + i] = ((images[offset + i] & 0xff) / 255f - FashionMnist.MEAN) / FashionMnist.STD;
        }
    }
}
