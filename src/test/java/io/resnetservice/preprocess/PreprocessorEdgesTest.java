package io.resnetservice.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.resnetservice.image.ImageDecoder;
import io.resnetservice.image.Pixels;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.preprocess.Preprocessor.Plane;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The preprocessor's geometry at its edges: border means, crops with odd margins, crops larger than the image. */
class PreprocessorEdgesTest {

    private static final List<Float> RGB_MEAN = List.of(0.4f, 0.5f, 0.6f);
    private static final List<Float> RGB_STD = List.of(0.2f, 0.25f, 0.3f);

    @Test
    void theBorderMeanAveragesTheOutermostRingOfEveryPlane() {
        // 4x3: ring = all but the two middle pixels of the middle row.
        float[] a = {1, 2, 3, 4, 5, 100, 100, 6, 7, 8, 9, 10};
        float[] b = {10, 10, 10, 10, 10, -50, -50, 10, 10, 10, 10, 10};
        assertEquals(5.5f, Preprocessor.borderMean(new Plane[] {new Plane(a, 0)}, 4, 3), 1e-6);
        assertEquals((5.5f + 10f) / 2, Preprocessor.borderMean(new Plane[] {new Plane(a, 0), new Plane(b, 0)}, 4, 3), 1e-6);
        float[] offset = new float[15];
        System.arraycopy(a, 0, offset, 3, 12);
        assertEquals(5.5f, Preprocessor.borderMean(new Plane[] {new Plane(offset, 3)}, 4, 3), 1e-6);
    }

    @Test
    void aCentreCropSplitsAnOddMarginAsPythonRoundsAndPadsWhereTheImageEnds() {
        float[] row = {0, 1, 2, 3, 4};
        // (5 - 2) / 2 = 1.5 rounds to 2, as Python's round does.
        assertArrayEquals(new float[] {2, 3}, Preprocessor.centerCrop(row, 5, 1, 2, 1));
        // (5 - 4) / 2 = 0.5 rounds to 0.
        assertArrayEquals(new float[] {0, 1, 2, 3}, Preprocessor.centerCrop(row, 5, 1, 4, 1));
        // Larger than the image: (2 - 5) / 2 = -1.5 rounds to -2; black beyond the picture.
        float[] column = {7, 8};
        assertArrayEquals(new float[] {0, 0, 7, 8, 0}, Preprocessor.centerCrop(column, 1, 2, 1, 5));
        assertArrayEquals(new float[] {0, 0, 7, 8, 0}, Preprocessor.centerCrop(new float[] {7, 8}, 2, 1, 5, 1));
    }

    @Test
    void shorterSideCropBelowTheCropSizePadsWithBlackAsTorchvisionDoes() {
        ModelSpec.Input input = new ModelSpec.Input(1, 8, 8);
        ModelSpec.Preprocess recipe = new ModelSpec.Preprocess(ModelSpec.Colour.GRAYSCALE, ModelSpec.Resize.SHORTER_SIDE_CROP,
                4, ModelSpec.Filter.AREA, ModelSpec.Background.KEEP, List.of(0f), List.of(1f), null);
        Preprocessor pre = new Preprocessor(input, recipe);
        assertEquals(new ImageDecoder.Size(4, 8), pre.resizedSize(new ImageDecoder.Size(10, 20)), "shorter side to 4");
        float[] flat = new float[8 * 8];
        java.util.Arrays.fill(flat, 0.5f);
        float[] out = pre.apply(new Pixels(8, 8, 1, flat));
        // Resized to 4x4, centred in 8x8: two black rows and columns around it.
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                boolean inside = x >= 2 && x < 6 && y >= 2 && y < 6;
                assertEquals(inside ? 0.5f : 0f, out[y * 8 + x], 1e-6, "(" + x + ", " + y + ")");
            }
        }
        assertEquals(new ImageDecoder.Size(8, 4), new Preprocessor(input, new ModelSpec.Preprocess(ModelSpec.Colour.GRAYSCALE,
                ModelSpec.Resize.FIT_PAD, null, null, null, List.of(0f), List.of(1f), null)).resizedSize(
                        new ImageDecoder.Size(200, 100)), "fit: the longer side to the input's");
        assertEquals(new ImageDecoder.Size(8, 17), new Preprocessor(input, new ModelSpec.Preprocess(ModelSpec.Colour.GRAYSCALE,
                ModelSpec.Resize.SHORTER_SIDE_CROP, null, null, null, List.of(0f), List.of(1f), null)).resizedSize(
                        new ImageDecoder.Size(30, 64)), "shorter side to the input's 8, the other int(8 * 64 / 30)");
    }

    /**
     * A decoded JPEG's 8-bit samples take a shortcut for the photo recipe; every other recipe, and a crop larger
     * than the picture, must answer exactly as the same picture given as floats does.
     */
    @ParameterizedTest(name = "{0} channel(s), {1}, {2}, {3}, crop {4}, {5}x{6}")
    @CsvSource({
        "3, SHORTER_SIDE_CROP, KEEP, NONE, , 40, 30",
        "3, SHORTER_SIDE_CROP, KEEP, NONE, , 30, 40",
        "3, SHORTER_SIDE_CROP, KEEP, NONE, 12, 40, 30",
        "3, FIT_PAD, KEEP, NONE, , 40, 30",
        "3, SHORTER_SIDE_CROP, DARK, NONE, , 40, 30",
        "3, SHORTER_SIDE_CROP, KEEP, OBJECT, , 40, 30",
        "1, SHORTER_SIDE_CROP, KEEP, NONE, , 40, 30",
    })
    void eightBitSamplesAnswerAsFloatsDo(int channels, ModelSpec.Resize resize, ModelSpec.Background background,
            ModelSpec.Crop crop, Integer shorter, int width, int height) {
        ModelSpec.Input input = new ModelSpec.Input(channels, 16, 16);
        List<Float> mean = channels == 3 ? RGB_MEAN : List.of(0.5f);
        List<Float> std = channels == 3 ? RGB_STD : List.of(0.25f);
        Preprocessor pre = new Preprocessor(input, new ModelSpec.Preprocess(channels == 3 ? ModelSpec.Colour.RGB
                : ModelSpec.Colour.GRAYSCALE, resize, shorter, ModelSpec.Filter.BILINEAR, background, mean, std, crop));
        Random random = new Random(width * 7L + height);
        byte[] interleaved = new byte[width * height * 3];
        float[] planar = new float[width * height * 3];
        int n = width * height;
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < 3; c++) {
                int v = (i % width) * 5 + c * 40 + random.nextInt(30);
                interleaved[3 * i + c] = (byte) v;
                planar[c * n + i] = (v & 0xff) / 255f;
            }
        }
        float[] fromBytes = pre.apply(Pixels.ofRgb8(width, height, interleaved, new int[] {0, 1, 2}));
        float[] fromFloats = pre.apply(new Pixels(width, height, 3, planar));
        assertArrayEquals(fromFloats, fromBytes, 1e-5f);
    }
}
