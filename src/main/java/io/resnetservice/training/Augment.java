package io.resnetservice.training;

import java.util.Random;

/** Training-time augmentation on prepared (already normalised) square single-channel tensors. */
final class Augment {

    /** Random erasing's defaults from Zhong et al. (2017): erased area 2-40 %, aspect ratio 0.3-3.3. */
    private static final float ERASE_MIN_AREA = 0.02f;
    private static final float ERASE_MAX_AREA = 0.4f;
    private static final float ERASE_MIN_ASPECT = 0.3f;

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
     * A random {@code size x size} crop of the image padded by {@code padding} pixels of
     * {@code background} on each side, mirrored left-right with probability 1/2. Fashion-MNIST's
     * background is black, so the padding looks like more background.
     */
    static void cropFlip(float[] src, int srcOffset, int size, float[] out, int outOffset, int padding,
            float background, Random random) {
        int dx = padding == 0 ? 0 : random.nextInt(2 * padding + 1) - padding;
        int dy = padding == 0 ? 0 : random.nextInt(2 * padding + 1) - padding;
        boolean flip = random.nextBoolean();
        for (int y = 0; y < size; y++) {
            int sy = y + dy;
            for (int x = 0; x < size; x++) {
                int sx = (flip ? size - 1 - x : x) + dx;
                boolean inside = sy >= 0 && sy < size && sx >= 0 && sx < size;
                out[outOffset + y * size + x] = inside ? src[srcOffset + sy * size + sx] : background;
            }
        }
    }

    /**
     * Random erasing: with {@code probability}, one rectangle of the image is replaced by uniform noise
     * (in pixel space, then normalised), so the network cannot rely on any single part of an item.
     */
    static void erase(float[] image, int offset, int size, float probability, float mean, float std, Random random) {
        if (probability <= 0 || random.nextFloat() >= probability) {
            return;
        }
        for (int attempt = 0; attempt < 100; attempt++) {
            float area = size * size * (ERASE_MIN_AREA + random.nextFloat() * (ERASE_MAX_AREA - ERASE_MIN_AREA));
            float aspect = ERASE_MIN_ASPECT + random.nextFloat() * (1 / ERASE_MIN_ASPECT - ERASE_MIN_ASPECT);
            int h = Math.round((float) Math.sqrt(area * aspect));
            int w = Math.round((float) Math.sqrt(area / aspect));
            if (h < size && w < size && h > 0 && w > 0) {
                int top = random.nextInt(size - h + 1);
                int left = random.nextInt(size - w + 1);
                for (int y = top; y < top + h; y++) {
                    for (int x = left; x < left + w; x++) {
                        image[offset + y * size + x] = (random.nextFloat() - mean) / std;
                    }
                }
                return;
            }
        }
    }
}
