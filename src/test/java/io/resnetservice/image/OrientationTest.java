package io.resnetservice.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each EXIF orientation on a 3x2 picture of distinct pixels, as the specification draws them (1 as stored,
 * 2 mirrored, 3 turned 180, 4 flipped, 5 transposed, 6 turned 90 clockwise, 7 transversed, 8 turned 90
 * anticlockwise), for float planes and for 8-bit samples alike.
 */
class OrientationTest {

    @ParameterizedTest(name = "orientation {0}")
    @CsvSource(delimiter = ';', value = {
        "1; 3; 2; 1 2 3 4 5 6",
        "2; 3; 2; 3 2 1 6 5 4",
        "3; 3; 2; 6 5 4 3 2 1",
        "4; 3; 2; 4 5 6 1 2 3",
        "5; 2; 3; 1 4 2 5 3 6",
        "6; 2; 3; 4 1 5 2 6 3",
        "7; 2; 3; 6 3 5 2 4 1",
        "8; 2; 3; 3 6 2 5 1 4"})
    void theStoredPixelsAreShownAsTheCameraSawThem(int orientation, int width, int height, String shown) {
        String[] values = shown.split(" ");
        float[] expected = new float[6];
        for (int i = 0; i < 6; i++) {
            expected[i] = Float.parseFloat(values[i]);
        }
        // Three planes, each the stored 1..6 plus 10 x its channel.
        float[] stored = new float[18];
        byte[] interleaved = new byte[18];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 6; i++) {
                stored[c * 6 + i] = (i + 1) + 10 * c;
                interleaved[3 * i + c] = (byte) ((i + 1) + 10 * c);
            }
        }
        Pixels planes = Orientation.apply(new Pixels(3, 2, 3, stored), orientation);
        Pixels samples = Orientation.apply(Pixels.ofRgb8(3, 2, interleaved, new int[] {0, 1, 2}), orientation);
        for (Pixels shownPixels : new Pixels[] {planes, samples}) {
            assertEquals(width, shownPixels.width());
            assertEquals(height, shownPixels.height());
            for (int c = 0; c < 3; c++) {
                float[] plane = new float[6];
                for (int i = 0; i < 6; i++) {
                    plane[i] = shownPixels.at(c, i % width, i / width) * (shownPixels == samples ? 255f : 1f);
                }
                float[] want = new float[6];
                for (int i = 0; i < 6; i++) {
                    want[i] = expected[i] + 10 * c;
                }
                assertArrayEquals(want, plane, 1e-3f, "channel " + c + (shownPixels == samples ? " (8-bit)" : ""));
            }
        }
    }
}
