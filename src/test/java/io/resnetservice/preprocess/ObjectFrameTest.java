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
}
