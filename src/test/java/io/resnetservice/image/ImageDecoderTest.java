package io.resnetservice.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.support.TestImages;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Fixtures come from tools/make_image_fixtures.py: a light upper half over a dark lower half, 24x32. */
class ImageDecoderTest {

    private final ImageDecoder decoder = new ImageDecoder(40_000_000);

    static byte[] fixture(String name) throws IOException {
        try (InputStream in = ImageDecoderTest.class.getResourceAsStream("/images/" + name)) {
            return in.readAllBytes();
        }
    }

    /** Mean luminance of rows [from, to). */
    static double luminance(Pixels p, int from, int to) {
        double sum = 0;
        for (int y = from; y < to; y++) {
            for (int x = 0; x < p.width(); x++) {
                sum += p.channels() == 1 ? p.at(0, x, y)
                        : 0.299 * p.at(0, x, y) + 0.587 * p.at(1, x, y) + 0.114 * p.at(2, x, y);
            }
        }
        return sum / ((to - from) * p.width());
    }

    @ParameterizedTest
    @ValueSource(strings = {"progressive.jpg", "grey.jpg", "cmyk.jpg", "scene.bmp", "scene.webp", "grey16.png",
        "animated.gif", "exif-orientation-6.jpg"})
    void everyFormatDecodesToTheSceneAsSeen(String name) throws IOException {
        Pixels p = decoder.decode(fixture(name));
        assertEquals(24, p.width(), name);
        assertEquals(32, p.height(), name);
        double top = luminance(p, 0, 14);
        double bottom = luminance(p, 18, 32);
        // Light (230,200,40) has luminance 0.748, dark (20,40,120) 0.169.
        assertEquals(0.748, top, 0.06, name + " top");
        assertEquals(0.169, bottom, 0.06, name + " bottom");
    }

    /** An upload read into a pooled array is its first bytes: what follows them must not change a pixel. */
    @ParameterizedTest
    @ValueSource(strings = {"SYSTEM_TURBOJPEG", "BUNDLED_OPENCV", "IMAGEIO", "PNG"})
    void theFirstBytesOfALongerArrayDecodeAsTheImageAlone(String path) {
        BufferedImage image = TestImages.rgb(640, 480, 11);
        byte[] file = path.equals("PNG") ? TestImages.png(image) : TestImages.jpeg(image, 0.9f);
        ImageDecoder decoder = path.equals("PNG") ? new ImageDecoder(10_000_000L)
                : LargeImageDecodeTest.decoder(path, 10_000_000L);
        byte[] longer = Arrays.copyOf(file, file.length + 50_000);
        Arrays.fill(longer, file.length, longer.length, (byte) 0xFF); // a JPEG marker's first byte, again and again
        ImageDecoder.Plan exact = decoder.plan(file, s -> new ImageDecoder.Size(128, 96));
        ImageDecoder.Plan within = decoder.plan(longer, file.length, s -> new ImageDecoder.Size(128, 96));
        assertEquals(exact, within);
        Pixels a = decoder.decode(file, exact);
        Pixels b = decoder.decode(longer, file.length, within);
        assertEquals(a.width(), b.width());
        assertTrue(Arrays.equals(a.data(), b.data()), path + ": the same pixels");
        // A cut file followed by the rest of itself: only the cut part may be decoded, at full size (ImageIO's
        // PNG reader) and reduced (JPEG libraries, our PNG rows).
        int cut = file.length * 2 / 3;
        byte[] truncated = Arrays.copyOf(file, cut);
        // null: no resize planned, the whole picture is decoded.
        for (UnaryOperator<ImageDecoder.Size> resized : Arrays.<UnaryOperator<ImageDecoder.Size>>asList(null,
                s -> new ImageDecoder.Size(128, 96))) {
            Pixels alone;
            try {
                alone = decoder.decode(truncated, decoder.plan(truncated, resized));
            } catch (ImageException e) {
                // A decoder that refuses the cut file must refuse it when only the cut part is to be read.
                assertThrows(ImageException.class, () -> decoder.decode(file, cut, decoder.plan(file, cut, resized)));
                continue;
            }
            Pixels first = decoder.decode(file, cut, decoder.plan(file, cut, resized));
            assertTrue(Arrays.equals(alone.data(), first.data()), path + ": the first bytes only");
            assertTrue(!Arrays.equals(alone.data(), decoder.decode(file, decoder.plan(file, resized)).data()),
                    path + ": the cut is visible");
        }
    }

    @Test
    void rgbFormatsKeepTheirColours() throws IOException {
        Pixels p = decoder.decode(fixture("scene.webp"));
        assertEquals(3, p.channels());
        assertEquals(230 / 255f, p.at(0, 3, 3), 1e-6);
        assertEquals(200 / 255f, p.at(1, 3, 3), 1e-6);
        assertEquals(40 / 255f, p.at(2, 3, 3), 1e-6);
        assertEquals(120 / 255f, p.at(2, 3, 30), 1e-6);
    }

    @Test
    void transparencyIsCompositedOntoWhite() throws IOException {
        Pixels p = decoder.decode(fixture("palette-transparent.png"));
        assertEquals(1.0, luminance(p, 18, 32), 1e-6);
        assertEquals(0.748, luminance(p, 0, 14), 0.02);
    }

    @Test
    void greyPngSamplesAreReadExactly() {
        BufferedImage image = TestImages.grey(28, 28, 11);
        byte[] raw = ((java.awt.image.DataBufferByte) image.getRaster().getDataBuffer()).getData();
        Pixels p = decoder.decode(TestImages.png(image));
        assertEquals(1, p.channels());
        for (int i = 0; i < raw.length; i++) {
            assertEquals((raw[i] & 0xff) / 255f, p.data()[i], 0f, "pixel " + i);
        }
    }

    @Test
    void extremeAspectRatiosDecode() {
        assertEquals(1, decoder.decode(TestImages.png(TestImages.rgb(1, 1, 1))).width());
        Pixels line = decoder.decode(TestImages.png(TestImages.grey(10_000, 1, 1)));
        assertEquals(10_000, line.width());
        assertEquals(1, line.height());
    }

    @Test
    void badInputIsClassified() throws IOException {
        assertEquals(ImageException.Kind.EMPTY,
                assertThrows(ImageException.class, () -> decoder.decode(new byte[0])).kind());
        assertEquals(ImageException.Kind.UNSUPPORTED_FORMAT,
                assertThrows(ImageException.class, () -> decoder.decode("just text".getBytes(StandardCharsets.UTF_8))).kind());
        byte[] jpeg = fixture("progressive.jpg");
        assertEquals(ImageException.Kind.UNDECODABLE, assertThrows(ImageException.class,
                () -> decoder.decode(Arrays.copyOf(jpeg, 40))).kind());
        ImageException bomb = assertThrows(ImageException.class,
                () -> decoder.decode(TestImages.pngDeclaring(100_000, 100_000)));
        assertEquals(ImageException.Kind.TOO_LARGE, bomb.kind());
        assertTrue(bomb.getMessage().contains("100000x100000"));
    }
}
