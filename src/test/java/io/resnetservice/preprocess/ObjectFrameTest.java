package io.resnetservice.preprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.image.Pixels;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.preprocess.Preprocessor.Plane;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ObjectFrameTest {

    /** A w x h plane of {@code backdrop} with a {@code rw x rh} block of {@code item} at (x, y). */
    static float[] scene(int w, int h, float backdrop, float item, int x, int y, int rw, int rh) {
        float[] p = new float[w * h];
        for (int i = 0; i < p.length; i++) {
            int px = i % w;
            int py = i / w;
            p[i] = px >= x && px < x + rw && py >= y && py < y + rh ? item : backdrop;
        }
        return p;
    }

    @Test
    void anItemOnAPlainBackdropIsCroppedWithAMarginAndTheBackdropBecomesBlack() {
        // After the dark-background inversion: grey 0.8 backdrop -> 0.2, a dark item -> 1.0.
        float[] plane = scene(200, 300, 0.2f, 1f, 40, 150, 60, 100);
        ObjectFrame.Framed framed = ObjectFrame.of(new Plane[] {new Plane(plane, 0)}, 200, 300, true);
        int margin = (int) Math.round(ObjectFrame.MARGIN * 100);
        assertEquals(60 + 2 * margin, framed.width());
        assertEquals(100 + 2 * margin, framed.height());
        float[] out = framed.planes()[0].data();
        assertEquals(0f, out[0], 1e-6, "the backdrop is the canvas colour");
        assertEquals(1f, out[(framed.height() / 2) * framed.width() + framed.width() / 2], 1e-6, "the item keeps its contrast");
    }

    @Test
    void onALightCanvasTheValuesAreKept() {
        float[] plane = scene(100, 100, 0.9f, 0.1f, 10, 20, 30, 30);
        ObjectFrame.Framed framed = ObjectFrame.of(new Plane[] {new Plane(plane, 0)}, 100, 100, false);
        assertEquals(30 + 2, framed.width());
        assertEquals(0.9f, framed.planes()[0].data()[0], 1e-6);
    }

    @Test
    void aPhotographKeepsItsCentreAndTheDatasetsFramingOrASpeckTheWholeFrame() {
        Random random = new Random(1);
        float[] photo = new float[100 * 100];
        for (int i = 0; i < photo.length; i++) {
            photo[i] = random.nextFloat();
        }
        Plane[] planes = {new Plane(photo, 0)};
        assertSame(planes, ObjectFrame.of(planes, 100, 100, true).planes(), "no uniform border: a photograph");
        ObjectFrame.Framed landscape = ObjectFrame.of(new Plane[] {new Plane(java.util.Arrays.copyOf(photo, 100 * 60), 0)},
                100, 60, true);
        assertEquals(60, landscape.width(), "a landscape photograph: its centre square");
        assertEquals(60, landscape.height());
        assertEquals(photo[20], landscape.planes()[0].data()[0]);
        Plane[] framedAlready = {new Plane(scene(28, 28, 0f, 1f, 9, 0, 10, 28), 0)};
        assertSame(framedAlready, ObjectFrame.of(framedAlready, 28, 28, true).planes(), "spans the height, as the dataset's items");
        Plane[] speck = {new Plane(scene(100, 100, 0f, 1f, 50, 50, 3, 3), 0)};
        assertSame(speck, ObjectFrame.of(speck, 100, 100, true).planes(), "under 1 % of the frame");
    }

    @Test
    void aProductPhotoIsPreprocessedAsTheSameItemFramedLikeTheDataset() {
        ModelSpec.Preprocess recipe = new ModelSpec.Preprocess(ModelSpec.Colour.GRAYSCALE, ModelSpec.Resize.FIT_PAD, null,
                ModelSpec.Filter.AREA, ModelSpec.Background.DARK, List.of(0f), List.of(1f), ModelSpec.Crop.OBJECT);
        Preprocessor preprocessor = new Preprocessor(new ModelSpec.Input(1, 28, 28), recipe);
        // The dataset's framing: a light item spanning the height of a black 28x28 square.
        float[] dataset = scene(28, 28, 0f, 1f, 8, 0, 12, 28);
        // The same item dark on white, four times larger, off-centre in a wide frame.
        float[] photo = scene(300, 200, 1f, 0f, 30, 40, 48, 112);
        float[] expected = preprocessor.apply(new Pixels(28, 28, 1, dataset));
        float[] actual = preprocessor.apply(new Pixels(300, 200, 1, photo));
        double diff = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += Math.abs(expected[i] - actual[i]);
        }
        assertTrue(diff / expected.length < 0.05, "mean difference " + diff / expected.length);
        ModelSpec.Preprocess whole = new ModelSpec.Preprocess(ModelSpec.Colour.GRAYSCALE, ModelSpec.Resize.FIT_PAD, null,
                ModelSpec.Filter.AREA, ModelSpec.Background.DARK, List.of(0f), List.of(1f), ModelSpec.Crop.NONE);
        float[] uncropped = new Preprocessor(new ModelSpec.Input(1, 28, 28), whole).apply(new Pixels(300, 200, 1, photo));
        double before = 0;
        for (int i = 0; i < expected.length; i++) {
            before += Math.abs(expected[i] - uncropped[i]);
        }
        assertTrue(before / expected.length > 0.2, "without framing it is far off: " + before / expected.length);
    }

    private static ObjectFrame.Framed frame(float[] plane, int w, int h) {
        return ObjectFrame.of(new Plane[] {new Plane(plane, 0)}, w, h, true);
    }

    @Test
    void theBorderIsEveryPixelOfTheOutermostRingOnce() {
        for (int[] size : new int[][] {{4, 3}, {3, 5}, {7, 7}}) {
            int w = size[0];
            int h = size[1];
            int[] ring = ObjectFrame.borderIndices(w, h);
            java.util.Set<Integer> expected = new java.util.TreeSet<>();
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    if (x == 0 || y == 0 || x == w - 1 || y == h - 1) {
                        expected.add(y * w + x);
                    }
                }
            }
            java.util.Set<Integer> actual = new java.util.TreeSet<>();
            for (int i : ring) {
                actual.add(i);
            }
            assertEquals(expected, actual, w + "x" + h);
            assertEquals(expected.size(), ring.length, "each once");
        }
    }

    @Test
    void theCropIsTheItemsBoxPlusTheRoundedMarginClippedToTheFrame() {
        // 20x25 item: margin round(0.02 * 25) = round(0.5) = 1 pixel each side.
        ObjectFrame.Framed framed = frame(scene(100, 80, 0.1f, 0.6f, 30, 20, 20, 25), 100, 80);
        assertEquals(22, framed.width());
        assertEquals(27, framed.height());
        float[] out = framed.planes()[0].data();
        assertEquals(0f, out[0], 1e-6, "margin: the backdrop, made black");
        assertEquals((0.6f - 0.1f) / 0.9f, out[framed.width() + 1], 1e-6, "the item's top-left pixel, rescaled");
        assertEquals((0.6f - 0.1f) / 0.9f, out[(framed.height() - 2) * framed.width() + framed.width() - 2], 1e-6,
                "its bottom-right pixel");
        assertEquals(0f, out[out.length - 1], 1e-6);
        // An item one pixel from the corner (its margin, round(0.02 * 100) = 2, stops at the frame's edge).
        ObjectFrame.Framed corner = frame(scene(200, 160, 0.1f, 0.6f, 1, 1, 100, 60), 200, 160);
        assertEquals(103, corner.width(), "columns 0 to 102");
        assertEquals(63, corner.height(), "rows 0 to 62");
        assertEquals(0f, corner.planes()[0].data()[0], 1e-6);
        assertEquals((0.6f - 0.1f) / 0.9f, corner.planes()[0].data()[corner.width() + 1], 1e-6);
        ObjectFrame.Framed farCorner = frame(scene(200, 160, 0.1f, 0.6f, 99, 99, 100, 60), 200, 160);
        assertEquals(103, farCorner.width(), "columns 97 to 199");
        assertEquals(63, farCorner.height(), "rows 97 to 159");
        float[] far = farCorner.planes()[0].data();
        assertEquals(0f, far[far.length - 1], 1e-6);
        assertEquals((0.6f - 0.1f) / 0.9f, far[far.length - 1 - farCorner.width() - 1], 1e-6);
    }

    @Test
    void anItemOfOnePercentIsFramedAndASmallerOneIsNot() {
        float[] onePercent = scene(100, 100, 0.1f, 0.7f, 40, 40, 10, 10);
        assertEquals(10, frame(onePercent, 100, 100).width(), "100 of 10,000 pixels (no margin at 10 px)");
        float[] less = scene(100, 100, 0.1f, 0.7f, 40, 40, 9, 11);
        assertEquals(100, frame(less, 100, 100).width(), "99 pixels: the whole frame");
    }

    @Test
    void anItemSpanningNinetyPercentIsAlreadyFramed() {
        assertEquals(100, frame(scene(100, 100, 0.1f, 0.7f, 5, 30, 90, 20), 100, 100).width(), "90 of 100 wide");
        assertEquals(100, frame(scene(100, 100, 0.1f, 0.7f, 30, 5, 20, 90), 100, 100).height(), "90 of 100 high");
        assertEquals(89 + 2 * 2, frame(scene(100, 100, 0.1f, 0.7f, 5, 30, 89, 20), 100, 100).width(),
                "89 wide is cropped, margin round(1.78) = 2");
    }

    @Test
    void theItemIsWhatStandsOutFromTheBordersNoiseByTheContrast() {
        // Border noise alternates 0.1 +- 0.01: the median distance is 0.01, so the item needs more than 0.05.
        int w = 60;
        int h = 60;
        float[] plane = new float[w * h];
        for (int i = 0; i < plane.length; i++) {
            plane[i] = 0.1f + ((i % 2 == 0) ? 0.01f : -0.01f);
        }
        for (int y = 20; y < 30; y++) {
            for (int x = 20; x < 30; x++) {
                plane[y * w + x] = 0.1f + 0.07f;
            }
        }
        for (int y = 40; y < 50; y++) {
            for (int x = 40; x < 50; x++) {
                plane[y * w + x] = 0.1f + 0.045f;
            }
        }
        ObjectFrame.Framed framed = frame(plane, w, h);
        assertEquals(10, framed.width(), "only the block 0.07 away; the one 0.045 away is noise");
        assertEquals(10, framed.height());
    }

    @Test
    void aBorderThatVariesIsAPhotographAndKeepsItsCentreSquare() {
        int w = 10;
        int h = 6;
        float[] wide = new float[w * h];
        for (int i = 0; i < wide.length; i++) {
            wide[i] = (i % w) / 10f;
        }
        ObjectFrame.Framed square = frame(wide, w, h);
        assertEquals(6, square.width());
        assertEquals(6, square.height());
        assertEquals(0.2f, square.planes()[0].data()[0], 1e-6, "starts (10 - 6) / 2 = 2 columns in");
        assertEquals(0.7f, square.planes()[0].data()[5], 1e-6);
        float[] tall = new float[w * h];
        for (int i = 0; i < tall.length; i++) {
            tall[i] = (i / h) / 10f;
        }
        ObjectFrame.Framed upright = frame(tall, h, w);
        assertEquals(6, upright.width());
        assertEquals(6, upright.height());
        assertEquals(0.2f, upright.planes()[0].data()[0], 1e-6, "starts 2 rows down");
        assertEquals(0.7f, upright.planes()[0].data()[35], 1e-6);
        float[] tiny = {0.1f, 0.9f, 0.1f, 0.9f};
        assertSame(tiny, ObjectFrame.of(new Plane[] {new Plane(tiny, 0)}, 2, 2, true).planes()[0].data(),
                "too small to have a border and an inside");
    }
}
