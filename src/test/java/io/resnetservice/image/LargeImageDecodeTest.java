package io.resnetservice.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.support.OsPackage;
import io.resnetservice.support.TestImages;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The decode plan read from headers, reduced decoding with and without TurboJPEG, and orientation of 8-bit pixels. */
class LargeImageDecodeTest {

    /** The preprocessor of a 224 crop after a shorter-side resize to 256. */
    static final UnaryOperator<ImageDecoder.Size> RESIZE_256 = s -> s.width() <= s.height()
            ? new ImageDecoder.Size(256, (int) (256L * s.height() / s.width()))
            : new ImageDecoder.Size((int) (256L * s.width() / s.height()), 256);

    /** Skips where every libjpeg-turbo is switched off (the bundled one is always there). */
    static void assumeTurbo() {
        Assumptions.assumeFalse(Boolean.getBoolean("resnet.turbojpeg.disabled"),
                "TurboJPEG is switched off (resnet.turbojpeg.disabled)");
    }

    /** A decoder on the named path (SYSTEM_TURBOJPEG, BUNDLED_OPENCV or IMAGEIO), or a named skip. */
    static ImageDecoder decoder(String path, long maxPixels) {
        if (path.equals("IMAGEIO")) {
            return new ImageDecoder(maxPixels, (JpegLibrary) null);
        }
        JpegLibrary library = JpegLibrary.valueOf(path);
        assumeTurbo();
        if (library == JpegLibrary.SYSTEM_TURBOJPEG) {
            Assumptions.assumeTrue(OsPackage.TURBOJPEG.testable(), OsPackage.TURBOJPEG.missing());
        }
        return new ImageDecoder(maxPixels, library);
    }

    @Test
    void theReductionKeepsTwiceTheResizedSize() {
        assertEquals(4, ImageDecoder.reduction(4032, 3024, 1, RESIZE_256));
        assertEquals(4, ImageDecoder.reduction(3024, 4032, 6, RESIZE_256));
        assertEquals(8, ImageDecoder.reduction(6000, 6000, 1, RESIZE_256));
        assertEquals(2, ImageDecoder.reduction(2048, 1024, 1, RESIZE_256));
        assertEquals(1, ImageDecoder.reduction(2047, 1021, 1, RESIZE_256));
        assertEquals(1, ImageDecoder.reduction(100, 100, 1, RESIZE_256));
        // A panorama: its width decides once the crop's shorter side is met.
        UnaryOperator<ImageDecoder.Size> fit56 = s -> new ImageDecoder.Size(56, Math.max(1, 56 * s.height() / s.width()));
        assertEquals(8, ImageDecoder.reduction(8000, 1000, 1, fit56));
    }

    @Test
    void theJpegHeaderIsReadFromTheMarkers() throws IOException {
        byte[] progressive = ImageDecoderTest.fixture("progressive.jpg");
        JpegHeader header = JpegHeader.read(progressive);
        assertEquals(24, header.width());
        assertEquals(32, header.height());
        assertEquals(3, header.components());
        assertTrue(header.progressive());
        assertTrue(header.scan());
        assertFalse(JpegHeader.read(TestImages.jpeg(TestImages.rgb(40, 30, 1), 0.9f)).progressive());
        assertEquals(1, JpegHeader.read(ImageDecoderTest.fixture("grey.jpg")).components());
        assertEquals(4, JpegHeader.read(ImageDecoderTest.fixture("cmyk.jpg")).components());
        JpegHeader cut = JpegHeader.read(Arrays.copyOf(progressive, 200));
        assertTrue(cut == null || !cut.scan(), "a file cut before its scan has no scan");
        assertNull(JpegHeader.read(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF}));
    }

    @Test
    void theDefaultDecoderTakesTheSystemTurboJpegThenTheBundledOneUnlessSwitchedOff() {
        byte[] jpeg = TestImages.jpeg(TestImages.rgb(2100, 1100, 3), 0.9f);
        boolean switchedOff = Boolean.getBoolean("resnet.turbojpeg.disabled");
        JpegLibrary expected = switchedOff ? null
                : OsPackage.TURBOJPEG.installed() ? JpegLibrary.SYSTEM_TURBOJPEG : JpegLibrary.BUNDLED_OPENCV;
        ImageDecoder decoder = new ImageDecoder(40_000_000);
        assertEquals(expected, decoder.library());
        assertEquals(!switchedOff, decoder.plan(jpeg, RESIZE_256).turbo());
        if (switchedOff) {
            assertFalse(ImageDecoder.turboJpegAvailable(), "resnet.turbojpeg.disabled leaves TurboJPEG unloaded");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"SYSTEM_TURBOJPEG", "BUNDLED_OPENCV", "IMAGEIO"})
    void thePlanComesFromTheHeaderAndRefusesOversizedImagesBeforeDecoding(String path) {
        ImageDecoder decoder = decoder(path, 40_000_000);
        boolean turbo = decoder.library() != null;
        byte[] jpeg = TestImages.jpeg(TestImages.rgb(2100, 1100, 3), 0.9f);
        ImageDecoder.Plan plan = decoder.plan(jpeg, RESIZE_256);
        assertEquals(2100, plan.width());
        assertEquals(1100, plan.height());
        assertEquals(2, plan.reduction());
        assertEquals(turbo, plan.turbo());
        long full = 2100L * 1100 * 3;
        long reducedFloats = 2 * 1050L * 550 * 3 * Float.BYTES;
        // TurboJPEG holds the encoded copy and the reduced samples; ImageIO the full raster, counted twice.
        long samples = turbo ? jpeg.length + 2 * 1050L * 550 * 3 : 2 * full;
        assertEquals(samples + reducedFloats, plan.memoryBytes());
        ImageDecoder.Plan fullSize = decoder.plan(jpeg, null);
        assertEquals(1, fullSize.reduction());
        assertTrue(fullSize.memoryBytes() > plan.memoryBytes(), "a full-size decode holds more than a reduced one");
        assertEquals(ImageException.Kind.TOO_LARGE, assertThrows(ImageException.class,
                () -> decoder(path, 2_000_000).plan(jpeg, RESIZE_256)).kind());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"SYSTEM_TURBOJPEG", "BUNDLED_OPENCV", "IMAGEIO"})
    void aReducedDecodeAveragesBlocksOfTheFullOne(String path) {
        ImageDecoder decoder = decoder(path, 40_000_000);
        boolean turbo = decoder.library() != null;
        BufferedImage image = TestImages.rgb(1600, 1200, 7);
        byte[] jpeg = TestImages.jpeg(image, 0.95f);
        Pixels full = decoder.decode(jpeg);
        ImageDecoder.Plan plan = decoder.plan(jpeg, s -> new ImageDecoder.Size(s.width() / 8, s.height() / 8));
        assertEquals(4, plan.reduction());
        assertEquals(turbo, plan.turbo());
        Pixels reduced = decoder.decode(jpeg, plan);
        assertEquals(400, reduced.width());
        assertEquals(300, reduced.height());
        double error = 0;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 300; y++) {
                for (int x = 0; x < 400; x++) {
                    double sum = 0;
                    for (int dy = 0; dy < 4; dy++) {
                        for (int dx = 0; dx < 4; dx++) {
                            sum += full.at(c, 4 * x + dx, 4 * y + dy);
                        }
                    }
                    error += Math.abs(sum / 16 - reduced.at(c, x, y));
                }
            }
        }
        double mean = error / (3 * 300 * 400);
        // ImageIO's reduction is the box average rounded to 8 bits. The DCT-domain one averages the
        // coefficients before quantisation noise and chroma upsampling, which on this noise image differ by a
        // few levels.
        assertTrue(mean < (turbo ? 0.03 : 0.5 / 255), "mean |difference| " + mean);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"SYSTEM_TURBOJPEG", "BUNDLED_OPENCV"})
    void turboJpegDecodesAtFullSizeAsImageIoDoes(String path) {
        ImageDecoder decoder = decoder(path, 40_000_000);
        byte[] jpeg = TestImages.jpeg(TestImages.rgb(333, 517, 5), 0.9f);
        Pixels turbo = decoder.decode(jpeg);
        Pixels imageIo = new ImageDecoder(40_000_000, false).decode(jpeg);
        assertNotNull(turbo.rgb8());
        float[] a = turbo.data();
        float[] b = imageIo.data();
        double mean = 0;
        for (int i = 0; i < a.length; i++) {
            mean += Math.abs(a[i] - b[i]);
        }
        assertTrue(mean / a.length < 2 / 255.0, "mean " + mean / a.length);
    }

    @Test
    void aBrokenScanIsUndecodableEitherWay() throws IOException {
        byte[] jpeg = TestImages.jpeg(TestImages.rgb(300, 200, 5), 0.9f);
        for (int i = 700; i < jpeg.length - 2; i++) {
            jpeg[i] = (byte) 0xFF; // marker bytes all through the entropy-coded data
        }
        for (boolean turbo : new boolean[] {true, false}) {
            ImageDecoder decoder = new ImageDecoder(40_000_000, turbo);
            try {
                Pixels p = decoder.decode(jpeg);
                assertEquals(300, p.width(), "what decodes, decodes whole");
            } catch (ImageException e) {
                assertEquals(ImageException.Kind.UNDECODABLE, e.kind());
            }
        }
    }

    /** A noisy picture of {@code type} with a smooth gradient, so every PNG row filter gets used. */
    static BufferedImage picture(int type, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, type);
        java.util.Random random = new java.util.Random(type);
        java.awt.image.WritableRaster raster = image.getRaster();
        int bands = raster.getNumBands();
        int max = (1 << raster.getSampleModel().getSampleSize(0)) - 1;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                for (int b = 0; b < bands; b++) {
                    int smooth = (int) ((long) max * (x + y + 31L * b) / (width + height + 100));
                    int noise = random.nextInt(Math.max(1, max / 8));
                    raster.setSample(x, y, b, Math.min(max, smooth + noise));
                }
            }
        }
        return image;
    }

    @ParameterizedTest
    @ValueSource(ints = {BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_USHORT_GRAY, BufferedImage.TYPE_3BYTE_BGR,
        BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_BYTE_INDEXED})
    void aPngStreamedRowByRowEqualsImageIoReducedTheSameWay(int type) throws IOException {
        byte[] png = TestImages.png(picture(type, 403, 301));
        PngRows.Header header = PngRows.header(png);
        assertNotNull(header, "handled: type " + type);
        ImageDecoder decoder = new ImageDecoder(40_000_000);
        ImageDecoder.Plan plan = decoder.plan(png, s -> new ImageDecoder.Size(s.width() / 16, s.height() / 16));
        assertEquals(8, plan.reduction());
        assertTrue(plan.streamed());
        assertTrue(plan.memoryBytes() < 403L * 301 * header.bytesPerPixel(), "never the whole raster");
        Pixels streamed = decoder.decode(png, plan);
        Pixels reference = ImageDecoder.toPixels(javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png)), 8);
        assertEquals(reference.width(), streamed.width());
        assertEquals(reference.height(), streamed.height());
        assertEquals(reference.channels(), streamed.channels());
        // ImageIO's reduction of 8-bit RGB rounds its averages back to 8 bits; the rest are the same floats.
        assertArrayEquals(reference.data(), streamed.data(), 0.5f / 255 + 1e-6f, "type " + type);
    }

    @Test
    void pngsTheRowReaderLeavesToImageIo() {
        assertNull(PngRows.header(TestImages.png(new BufferedImage(40, 30, BufferedImage.TYPE_BYTE_BINARY))),
                "1-bit");
        byte[] small = TestImages.png(TestImages.grey(40, 30, 1));
        assertFalse(new ImageDecoder(40_000_000).plan(small, s -> new ImageDecoder.Size(40, 30)).streamed(),
                "nothing to reduce: ImageIO decodes it exactly as before");
        byte[] cut = Arrays.copyOf(TestImages.png(picture(BufferedImage.TYPE_3BYTE_BGR, 403, 301)), 3000);
        ImageDecoder decoder = new ImageDecoder(40_000_000);
        assertEquals(ImageException.Kind.UNDECODABLE, assertThrows(ImageException.class, () ->
                decoder.decode(cut, decoder.plan(cut, s -> new ImageDecoder.Size(50, 37)))).kind());
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 7, 8})
    void eightBitPixelsAreOrientedAsFloatsAre(int orientation) {
        byte[] bytes = new byte[3 * 5 * 3];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 7);
        }
        Pixels rgb8 = Pixels.ofRgb8(5, 3, bytes, new int[] {2, 1, 0});
        Pixels floats = new Pixels(5, 3, 3, rgb8.data().clone());
        Pixels a = Orientation.apply(rgb8, orientation);
        Pixels b = Orientation.apply(floats, orientation);
        assertNotNull(a.rgb8());
        assertEquals(b.width(), a.width());
        assertEquals(b.height(), a.height());
        assertArrayEquals(b.data(), a.data(), 0f);
    }
}
