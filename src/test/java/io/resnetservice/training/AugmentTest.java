package io.resnetservice.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class AugmentTest {

    private static float[] ramp(int size) {
        float[] image = new float[size * size];
        for (int i = 0; i < image.length; i++) {
            image[i] = i;
        }
        return image;
    }

    @Test
    void cropWithoutPaddingKeepsTheImageOrMirrorsIt() {
        int size = 6;
        float[] image = ramp(size);
        float[] out = new float[size * size];
        boolean sawMirror = false;
        boolean sawSame = false;
        Random random = new Random(3);
        for (int trial = 0; trial < 20; trial++) {
            Augment.cropFlip(image, 0, size, out, 0, 0, -1f, random);
            if (out[0] == image[0]) {
                assertArrayEquals(image, out);
                sawSame = true;
            } else {
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        assertEquals(image[y * size + size - 1 - x], out[y * size + x]);
                    }
                }
                sawMirror = true;
            }
        }
        assertTrue(sawSame && sawMirror, "flips about half the time");
    }

    /** The image shifted by ({@code dx}, {@code dy}) after an optional mirror, {@code background} where it has no pixel. */
    private static float[] shifted(float[] image, int size, int dx, int dy, boolean mirror, float background) {
        float[] out = new float[size * size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int sx = (mirror ? size - 1 - x : x) + dx;
                int sy = y + dy;
                out[y * size + x] = sx >= 0 && sx < size && sy >= 0 && sy < size ? image[sy * size + sx] : background;
            }
        }
        return out;
    }

    @Test
    void paddingShiftsTheImageByUpToThePaddingAndFillsWithBackground() {
        int size = 8;
        int padding = 2;
        float[] image = ramp(size);
        float[] out = new float[size * size];
        Random random = new Random(1);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int trial = 0; trial < 300; trial++) {
            Augment.cropFlip(image, 0, size, out, 0, padding, -7f, random);
            String match = null;
            for (int dx = -padding; dx <= padding && match == null; dx++) {
                for (int dy = -padding; dy <= padding && match == null; dy++) {
                    for (boolean mirror : new boolean[] {false, true}) {
                        if (java.util.Arrays.equals(out, shifted(image, size, dx, dy, mirror, -7f))) {
                            match = dx + "," + dy + "," + mirror;
                            break;
                        }
                    }
                }
            }
            assertTrue(match != null, "trial " + trial + ": the image moved by at most " + padding
                    + " pixels each way (mirrored or not), background elsewhere: " + java.util.Arrays.toString(out));
            seen.add(match);
        }
        // 25 shifts x 2 mirrors; 300 uniform draws miss any one of them with probability (49/50)^300 = 0.2 %.
        assertEquals(50, seen.size(), "every shift and mirror occurs: " + seen);
    }

    @Test
    void erasingReplacesOneRectangleWithNoiseOnlyWhenItFires() {
        int size = 28;
        float[] image = new float[size * size];
        Augment.erase(image, 0, size, 0f, 0.286f, 0.353f, new Random(2));
        assertArrayEquals(new float[size * size], image, "probability 0 leaves the image alone");

        Random random = new Random(9);
        for (int trial = 0; trial < 20; trial++) {
            float[] erased = new float[size * size];
            Augment.erase(erased, 0, size, 1f, 0.286f, 0.353f, random);
            int minX = size, minY = size, maxX = -1, maxY = -1, changed = 0;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    float v = erased[y * size + x];
                    if (v != 0f) {
                        changed++;
                        minX = Math.min(minX, x);
                        maxX = Math.max(maxX, x);
                        minY = Math.min(minY, y);
                        maxY = Math.max(maxY, y);
                        // Uniform pixels in [0, 1), normalised.
                        assertTrue(v >= -0.286f / 0.353f - 1e-5 && v < (1 - 0.286f) / 0.353f + 1e-5, "value " + v);
                    }
                }
            }
            int area = (maxX - minX + 1) * (maxY - minY + 1);
            assertTrue(changed > 0, "probability 1 always erases");
            assertTrue(area >= 0.02 * size * size * 0.5 && area <= 0.4 * size * size * 1.5,
                    "2-40 % of the image, give or take rounding: " + area);
            assertTrue(changed >= area * 0.9, "one filled rectangle, not scattered pixels");
        }
        float[] other = new float[size * size];
        Augment.erase(other, 0, size, 1f, 0.286f, 0.353f, new Random(10));
        assertNotEquals(0f, java.util.stream.IntStream.range(0, other.length).mapToDouble(i -> other[i]).map(Math::abs).sum());
    }
}
