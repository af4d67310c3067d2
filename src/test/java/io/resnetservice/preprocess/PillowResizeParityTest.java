package io.resnetservice.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.model.Npz;
import io.resnetservice.support.Python;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The resampler against Pillow's own resize of the same float plane: area averaging is Pillow's {@code BOX}
 * filter and bilinear its antialiased {@code BILINEAR} (what torchvision uses on PIL images), shrinking by
 * whole and fractional factors and enlarging, as the default model's fit-pad does to small uploads.
 */
class PillowResizeParityTest {

    static final List<String> SIZES = List.of("56x56", "20x20", "28x28", "14x14", "13x9", "56x41", "7x7", "90x70");

    @ParameterizedTest(name = "{0}, {1}x{2} to " + "56x56, 20x20, 28x28, 14x14, 13x9, 56x41, 7x7, 90x70")
    @CsvSource({"box, 28, 28", "box, 45, 37", "bilinear, 28, 28", "bilinear, 45, 37"})
    void resizesAsPillowDoes(String filter, int width, int height, @TempDir Path tmp) throws IOException {
        Python.assumeTorchvision();
        Random random = new Random(width * 31L + height);
        float[] plane = new float[width * height];
        for (int i = 0; i < plane.length; i++) {
            // A real image's mix of flat areas and edges: smooth ramps with random steps.
            plane[i] = (i % width) * 0.01f + (random.nextFloat() < 0.2f ? random.nextFloat() : 0.3f);
        }
        try (OutputStream out = Files.newOutputStream(tmp.resolve("image.npz"))) {
            Npz.write(out, Map.of("image", new Npz.Array(new long[] {height, width}, plane)));
        }
        Python.tool("pillow_resize.py", "--image", tmp.resolve("image.npz").toString(), "--filter", filter,
                "--sizes", String.join(",", SIZES), "--out", tmp.resolve("out.npz").toString());
        Map<String, Npz.Array> pillow;
        try (InputStream in = Files.newInputStream(tmp.resolve("out.npz"))) {
            pillow = Npz.read(in);
        }
        Resampler.Filter ours = filter.equals("box") ? Resampler.Filter.AREA : Resampler.Filter.BILINEAR;
        for (String size : SIZES) {
            int w = Integer.parseInt(size.split("x")[0]);
            int h = Integer.parseInt(size.split("x")[1]);
            Npz.Array expected = pillow.get(size);
            assertArrayEquals(new long[] {h, w}, expected.shape());
            float[] actual = Resampler.resize(plane, width, height, w, h, ours);
            assertEquals(expected.data().length, actual.length);
            double max = 0;
            int at = -1;
            for (int i = 0; i < actual.length; i++) {
                double d = Math.abs(actual[i] - expected.data()[i]);
                if (d > max) {
                    max = d;
                    at = i;
                }
            }
            assertTrue(max < 1e-5, filter + " " + width + "x" + height + " to " + size + ": max difference " + max
                    + " at (" + (at % w) + ", " + (at / w) + "): ours " + (at < 0 ? 0 : actual[at]) + ", Pillow "
                    + (at < 0 ? 0 : expected.data()[at]));
        }
    }
}
