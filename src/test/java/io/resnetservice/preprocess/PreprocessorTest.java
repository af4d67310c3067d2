package io.resnetservice.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.image.ImageDecoder;
import io.resnetservice.image.Pixels;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.TestModels;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PreprocessorTest {

    static final ModelSpec.Input FASHION = new ModelSpec.Input(1, 28, 28);
    static final ModelSpec.Preprocess FIT_DARK = new ModelSpec.Preprocess(ModelSpec.Colour.GRAYSCALE,
            ModelSpec.Resize.FIT_PAD, null, ModelSpec.Filter.AREA, ModelSpec.Background.DARK, List.of(0.5f), List.of(0.25f), null);

    static Pixels item(int size, long seed) {
        // A light item centred on black, like Fashion-MNIST.
        float[] d = new float[size * size];
        Random r = new Random(seed);
        for (int y = size / 4; y < size * 3 / 4; y++) {
            for (int x = size / 4; x < size * 3 / 4; x++) {
                d[y * size + x] = 0.5f + 0.5f * r.nextFloat();
            }
        }
        return new Pixels(size, size, 1, d);
    }

    @Test
    void aNativeSizeImageIsOnlyNormalised() {
        Pixels p = item(28, 1);
        float[] out = new Preprocessor(FASHION, FIT_DARK).apply(p);
        for (int i = 0; i < out.length; i++) {
            assertEquals((p.data()[i] - 0.5f) / 0.25f, out[i], 1e-6f);
        }
    }

    @Test
    void anItemOnWhiteIsInvertedToLookLikeTheDataset() {
        Pixels dark = item(28, 2);
        float[] inverted = new float[dark.data().length];
        for (int i = 0; i < inverted.length; i++) {
            inverted[i] = 1f - dark.data()[i];
        }
        Preprocessor pre = new Preprocessor(FASHION, FIT_DARK);
        assertArrayEquals(pre.apply(dark), pre.apply(new Pixels(28, 28, 1, inverted)), 1e-6f);
    }

    @Test
    void rgbBecomesGreyWithLumaWeights() {
        float[] rgb = new float[3 * 28 * 28];
        java.util.Arrays.fill(rgb, 0, 784, 0.2f);
        java.util.Arrays.fill(rgb, 784, 1568, 0.1f);
        java.util.Arrays.fill(rgb, 1568, 2352, 0.3f);
        float[] out = new Preprocessor(FASHION, FIT_DARK).apply(new Pixels(28, 28, 3, rgb));
        float grey = 0.299f * 0.2f + 0.587f * 0.1f + 0.114f * 0.3f;
        assertEquals((grey - 0.5f) / 0.25f, out[100], 1e-6f);
    }

    @Test
    void anUpscaledCopyComesBackCloseToTheOriginal() {
        Pixels small = item(28, 3);
        float[] big = new float[224 * 224];
        for (int y = 0; y < 224; y++) {
            for (int x = 0; x < 224; x++) {
                big[y * 224 + x] = small.data()[(y / 8) * 28 + x / 8];
            }
        }
        Preprocessor pre = new Preprocessor(FASHION, FIT_DARK);
        float[] a = pre.apply(small);
        float[] b = pre.apply(new Pixels(224, 224, 1, big));
        double mean = 0;
        for (int i = 0; i < a.length; i++) {
            mean += Math.abs(a[i] - b[i]) * 0.25; // back to pixel units
        }
        mean /= a.length;
        assertTrue(mean < 0.03, "mean absolute difference in pixel units: " + mean);
    }

    @Test
    void fitPadKeepsTheAspectRatioAndCentres() {
        float[] wide = new float[56 * 28];
        java.util.Arrays.fill(wide, 1f);
        float[] out = Preprocessor.fitPad(wide, 56, 28, 28, 28);
        // 56x28 fits as 28x14, centred: rows 7..20 are white, the rest black.
        assertEquals(0f, out[3 * 28 + 10]);
        assertEquals(1f, out[10 * 28 + 10], 1e-6f);
        assertEquals(0f, out[24 * 28 + 10]);
    }

    @Test
    void torchvisionGeometryResizesTheShorterSideThenCropsTheCentre() {
        ModelSpec.Input input = new ModelSpec.Input(1, 224, 224);
        ModelSpec.Preprocess recipe = new ModelSpec.Preprocess(ModelSpec.Colour.GRAYSCALE,
                ModelSpec.Resize.SHORTER_SIDE_CROP, 256, ModelSpec.Filter.BILINEAR, ModelSpec.Background.KEEP, List.of(0f), List.of(1f), null);
        // 600x400 -> 384x256 -> crop 224: the left and right thirds of a three-band image are cut mostly away.
        float[] d = new float[600 * 400];
        for (int y = 0; y < 400; y++) {
            for (int x = 0; x < 600; x++) {
                d[y * 600 + x] = x < 200 ? 0f : x < 400 ? 1f : 0.5f;
            }
        }
        float[] out = new Preprocessor(input, recipe).apply(new Pixels(600, 400, 1, d));
        // Resized width 384: bands at [0,128), [128,256), [256,384); crop starts at 80.
        assertEquals(0f, out[100 * 224 + 10], 1e-6f);       // x=90 in the resized image
        assertEquals(1f, out[100 * 224 + 100], 1e-6f);      // x=180
        assertEquals(0.5f, out[100 * 224 + 220], 1e-6f);    // x=300
    }

    @Test
    void resizingOnlyTheCropWindowGivesTheSameValuesAsResizingThenCropping() {
        Random r = new Random(9);
        float[] image = new float[173 * 129];
        for (int i = 0; i < image.length; i++) {
            image[i] = r.nextFloat();
        }
        for (Resampler.Filter filter : Resampler.Filter.values()) {
            float[] whole = Resampler.resize(image, 173, 129, 91, 68, filter);
            float[] cropped = Preprocessor.centerCrop(whole, 91, 68, 64, 64);
            float[] window = Resampler.resizeWindow(image, 173, 129, 91, 68, 14, 2, 64, 64, filter);
            assertArrayEquals(cropped, window, 1e-6f, filter.name());
        }
    }

    @Test
    void aJpegResampledFromItsBytesEqualsTheSameImageResampledFromFloats() {
        Preprocessor pre = new Preprocessor(TestModels.IMAGENET_INPUT, TestModels.IMAGENET_PREPROCESS);
        for (int[] size : new int[][] {{640, 480}, {333, 517}, {256, 300}, {224, 224}}) {
            Pixels decoded = new ImageDecoder(40_000_000).decode(
                    TestImages.jpeg(TestImages.rgb(size[0], size[1], size[0]), 0.9f));
            assertTrue(decoded.rgb8() != null, "JPEG pixels stay 8-bit until needed");
            float[] fromBytes = pre.apply(decoded);
            float[] fromFloats = pre.apply(new Pixels(decoded.width(), decoded.height(), 3, decoded.data().clone()));
            assertArrayEquals(fromFloats, fromBytes, 1e-5f, size[0] + "x" + size[1]);
        }
    }

    @Test
    void resamplingPreservesAConstantImage() {
        float[] flat = new float[97 * 61];
        java.util.Arrays.fill(flat, 0.37f);
        float[] out = Resampler.resize(flat, 97, 61, 13, 29);
        for (float v : out) {
            assertEquals(0.37f, v, 1e-5f);
        }
    }

    /** The columns and rows of {@code out} ({@code w x h}) above {@code level}: [first, last + 1) each. */
    static int[] brightBox(float[] out, int w, int h, float level) {
        int x0 = w;
        int x1 = 0;
        int y0 = h;
        int y1 = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (out[y * w + x] > level) {
                    x0 = Math.min(x0, x);
                    x1 = Math.max(x1, x + 1);
                    y0 = Math.min(y0, y);
                    y1 = Math.max(y1, y + 1);
                }
            }
        }
        return new int[] {x0, x1, y0, y1};
    }

    @Test
    void theViewPlacesAPicturesPointsWhereApplyDrawsThem() {
        // A framed item: a 20x30 white box at (30, 60) on a 112x112 black canvas, fitted and padded into 56x56.
        ModelSpec.Input input = new ModelSpec.Input(1, 56, 56);
        ModelSpec.Preprocess framed = new ModelSpec.Preprocess(ModelSpec.Colour.GRAYSCALE, ModelSpec.Resize.FIT_PAD,
                null, ModelSpec.Filter.AREA, ModelSpec.Background.DARK, List.of(0f), List.of(1f), ModelSpec.Crop.OBJECT);
        float[] d = new float[112 * 112];
        for (int y = 60; y < 90; y++) {
            for (int x = 30; x < 50; x++) {
                d[y * 112 + x] = 1f;
            }
        }
        Pixels canvas = new Pixels(112, 112, 1, d);
        Preprocessor pre = new Preprocessor(input, framed);
        int[] box = brightBox(pre.apply(canvas), 56, 56, 0.5f);
        Preprocessor.View view = pre.view(canvas);
        assertEquals(box[0], view.inputX(30), 0.6, "left edge");
        assertEquals(box[1], view.inputX(50), 0.6, "right edge");
        assertEquals(box[2], view.inputY(60), 0.6, "top edge");
        assertEquals(box[3], view.inputY(90), 0.6, "bottom edge");

        // A photo's shorter side resized to 256 and its centre cropped to 224: a band at x in [250, 350) of 600x400.
        ModelSpec.Input photo = new ModelSpec.Input(1, 224, 224);
        ModelSpec.Preprocess cropped = new ModelSpec.Preprocess(ModelSpec.Colour.GRAYSCALE,
                ModelSpec.Resize.SHORTER_SIDE_CROP, 256, ModelSpec.Filter.BILINEAR, ModelSpec.Background.KEEP,
                List.of(0f), List.of(1f), null);
        float[] band = new float[600 * 400];
        for (int y = 100; y < 300; y++) {
            for (int x = 250; x < 350; x++) {
                band[y * 600 + x] = 1f;
            }
        }
        Pixels wide = new Pixels(600, 400, 1, band);
        Preprocessor crop = new Preprocessor(photo, cropped);
        box = brightBox(crop.apply(wide), 224, 224, 0.5f);
        view = crop.view(wide);
        assertEquals(box[0], view.inputX(250), 0.6, "left edge");
        assertEquals(box[1], view.inputX(350), 0.6, "right edge");
        assertEquals(box[2], view.inputY(100), 0.6, "top edge");
        assertEquals(box[3], view.inputY(300), 0.6, "bottom edge");
    }
}
