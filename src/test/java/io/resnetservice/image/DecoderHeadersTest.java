package io.resnetservice.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.support.TestImages;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Format sniffing, JPEG frame headers, the pixel limit and the reduction choice, each at its edges. */
class DecoderHeadersTest {

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    @Test
    void formatsAreKnownByTheirShortestMagic() {
        assertEquals(ImageDecoder.Format.JPEG, ImageDecoder.sniff(bytes(0xFF, 0xD8, 0xFF)));
        assertNull(ImageDecoder.sniff(bytes(0xFF, 0xD8)));
        assertNull(ImageDecoder.sniff(bytes(0xFF, 0xD8, 0x00)));
        assertEquals(ImageDecoder.Format.PNG, ImageDecoder.sniff(bytes(0x89, 'P', 'N', 'G', 0, 0, 0, 0)));
        assertNull(ImageDecoder.sniff(bytes(0x89, 'P', 'N', 'G', 0, 0, 0)));
        assertEquals(ImageDecoder.Format.GIF, ImageDecoder.sniff(bytes('G', 'I', 'F', '8', '9', 'a')));
        assertNull(ImageDecoder.sniff(bytes('G', 'I', 'F', '8', '9')));
        assertEquals(ImageDecoder.Format.BMP, ImageDecoder.sniff(bytes('B', 'M')));
        assertNull(ImageDecoder.sniff(bytes('B')));
        byte[] webp = bytes('R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P');
        assertEquals(ImageDecoder.Format.WEBP, ImageDecoder.sniff(webp));
        assertNull(ImageDecoder.sniff(Arrays.copyOf(webp, 11)));
        byte[] wave = webp.clone();
        wave[8] = 'W';
        wave[9] = 'A';
        assertNull(ImageDecoder.sniff(wave), "a RIFF that is not WebP");
    }

    /** SOI, then the given segments; each segment is a marker and its payload (the length is added). */
    private static byte[] jpeg(int[]... segments) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(0xFF);
        out.write(0xD8);
        for (int[] s : segments) {
            out.write(0xFF);
            out.write(s[0]);
            int length = s.length - 1 + 2;
            out.write(length >> 8);
            out.write(length & 0xff);
            for (int i = 1; i < s.length; i++) {
                out.write(s[i]);
            }
        }
        return out.toByteArray();
    }

    private static final int[] APP0 = {0xE0, 'J', 'F', 'I', 'F', 0};
    /** SOF0 of 300 (0x012C) wide, 515 (0x0203) high, 3 components. */
    private static final int[] SOF0 = {0xC0, 8, 0x02, 0x03, 0x01, 0x2C, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1};
    private static final int[] SOS = {0xDA, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0};

    @Test
    void theFrameHeaderGivesSizeComponentsAndWhetherAScanFollows() {
        JpegHeader header = JpegHeader.read(jpeg(APP0, SOF0, SOS));
        assertEquals(new JpegHeader(300, 515, 3, false, true), header);
        int[] progressive = SOF0.clone();
        progressive[0] = 0xC2;
        assertEquals(new JpegHeader(300, 515, 3, true, false), JpegHeader.read(jpeg(APP0, progressive)));
        int[] huffman = {0xC4, 0, 1, 2, 3};
        assertEquals(new JpegHeader(300, 515, 3, false, true), JpegHeader.read(jpeg(huffman, SOF0, SOS)),
                "a Huffman table (0xC4) is not a frame");
        assertNull(JpegHeader.read(jpeg(APP0, SOS)), "no frame before the scan");
        byte[] cutScan = jpeg(SOF0, SOS);
        assertEquals(new JpegHeader(300, 515, 3, false, false), JpegHeader.read(Arrays.copyOf(cutScan, cutScan.length - 1)),
                "a scan header cut short is no scan");
        byte[] fill = jpeg(SOF0, SOS);
        byte[] withFill = new byte[fill.length + 1];
        withFill[0] = fill[0];
        withFill[1] = fill[1];
        withFill[2] = (byte) 0xFF; // a fill byte before the next marker
        System.arraycopy(fill, 2, withFill, 3, fill.length - 2);
        assertEquals(new JpegHeader(300, 515, 3, false, true), JpegHeader.read(withFill));
        byte[] restart = jpeg(SOF0, SOS);
        byte[] withRestart = new byte[restart.length + 2];
        System.arraycopy(restart, 0, withRestart, 0, 2);
        withRestart[2] = (byte) 0xFF;
        withRestart[3] = (byte) 0xD0; // a marker without a length
        System.arraycopy(restart, 2, withRestart, 4, restart.length - 2);
        assertEquals(new JpegHeader(300, 515, 3, false, true), JpegHeader.read(withRestart));
        byte[] truncatedFrame = Arrays.copyOf(jpeg(SOF0), 2 + 9);
        assertNull(JpegHeader.read(truncatedFrame), "the frame's size bytes are missing");
        assertNull(JpegHeader.read(bytes(0xFF, 0xD8, 0x00, 0x00, 0x00)), "not a marker");
        byte[] badLength = jpeg(APP0);
        badLength[5] = 1;
        badLength[4] = 0;
        assertNull(JpegHeader.read(badLength), "a segment length under 2");
        assertEquals(new JpegHeader(300, 515, 3, false, false), JpegHeader.read(jpeg(SOF0, new int[] {0xD9})),
                "end of image before any scan");
    }

    @Test
    void thePixelLimitIsInclusive() {
        byte[] png = TestImages.png(TestImages.grey(40, 30, 1));
        assertEquals(40, new ImageDecoder(1200).plan(png, null).width());
        ImageException over = assertThrows(ImageException.class, () -> new ImageDecoder(1199).plan(png, null));
        assertEquals(ImageException.Kind.TOO_LARGE, over.kind());
        assertEquals("the image declares 40x30 pixels, over the limit of 1199 pixels", over.getMessage());
        assertEquals(ImageException.Kind.EMPTY, assertThrows(ImageException.class,
                () -> new ImageDecoder(1200).plan(new byte[0], null)).kind());
    }

    @Test
    void theLargestReductionThatKeepsTwiceTheResizedSizeOnBothSides() {
        // 800x600 resized to 100x75: twice that is 200x150; 800/4 = 200 and 600/4 = 150 fit exactly.
        assertEquals(4, ImageDecoder.reduction(800, 600, 1, s -> new ImageDecoder.Size(100, 75)));
        assertEquals(2, ImageDecoder.reduction(800, 600, 1, s -> new ImageDecoder.Size(101, 75)), "one pixel more");
        assertEquals(8, ImageDecoder.reduction(801, 601, 1, s -> new ImageDecoder.Size(50, 37)), "rounded up: 101x76");
        assertEquals(1, ImageDecoder.reduction(800, 600, 1, s -> new ImageDecoder.Size(300, 300)));
        // Stored 800x400, shown rotated (orientation 6) as 400x800: the target is for the shown picture.
        assertEquals(2, ImageDecoder.reduction(800, 400, 6, s -> {
            assertEquals(new ImageDecoder.Size(400, 800), s);
            return new ImageDecoder.Size(100, 200);
        }));
        assertEquals(1, ImageDecoder.reduction(800, 400, 5, s -> new ImageDecoder.Size(200, 400)), "5 rotates too");
        assertEquals(2, ImageDecoder.reduction(800, 400, 5, s -> new ImageDecoder.Size(100, 200)), "shown 400x800");
        assertEquals(2, ImageDecoder.reduction(800, 600, 1, s -> new ImageDecoder.Size(50, 80)), "the height decides");
        assertEquals(4, ImageDecoder.reduction(800, 400, 4, s -> new ImageDecoder.Size(100, 50)), "4 does not");
        ImageDecoder.Plan rotated = new ImageDecoder.Plan(ImageDecoder.Format.JPEG, 800, 400, 5, 1, false, false, 0);
        assertEquals(new ImageDecoder.Size(400, 800), rotated.size());
        assertEquals(new ImageDecoder.Size(800, 400),
                new ImageDecoder.Plan(ImageDecoder.Format.JPEG, 800, 400, 4, 1, false, false, 0).size());
    }

    @Test
    void theMemoryEstimateCountsTwoDecodedCopiesAndTwoFloatCopies() {
        // A 40x30 grey PNG read whole by ImageIO: 2 x 1,200 samples of 1 byte, and two 3-plane float copies.
        byte[] png = TestImages.png(TestImages.grey(40, 30, 1));
        ImageDecoder.Plan plan = new ImageDecoder(40_000_000).plan(png, null);
        assertEquals(1, plan.reduction());
        assertEquals(2L * 1200 * 1 + 2L * 1200 * 3 * Float.BYTES, plan.memoryBytes());
        // The same picture streamed row by row at a quarter: two rows, and float copies of the reduced 10x8.
        byte[] rgb = TestImages.png(TestImages.rgb(403, 301, 2));
        ImageDecoder.Plan streamed = new ImageDecoder(40_000_000).plan(rgb, s -> new ImageDecoder.Size(50, 37));
        assertEquals(4, streamed.reduction());
        assertEquals(true, streamed.streamed());
        assertEquals(2L * 403 * 3 + 2L * (101 * 76) * 3 * Float.BYTES, streamed.memoryBytes());
    }

    @Test
    void theMemoryEstimateOfEachJpegPathCountsWhatThatPathHolds() throws Exception {
        byte[] baseline = TestImages.jpeg(TestImages.rgb(800, 600, 3), 0.9f);
        UnaryOperator<ImageDecoder.Size> to100x75 = s -> new ImageDecoder.Size(100, 75);
        long full = 800L * 600;
        long quarter = 200L * 150;
        ImageDecoder.Plan imageIo = new ImageDecoder(40_000_000, false).plan(baseline, to100x75);
        assertEquals(4, imageIo.reduction());
        assertFalse(imageIo.turbo());
        assertEquals(2 * full * 3 + 2 * quarter * 3 * Float.BYTES, imageIo.memoryBytes(),
                "ImageIO: two copies of the whole raster, two float copies of the reduced image");

        byte[] progressive = ImageDecoderTest.fixture("progressive.jpg");
        JpegHeader header = JpegHeader.read(progressive);
        long pixels = (long) header.width() * header.height();
        assertEquals(2 * pixels * 3 + 2 * pixels * header.components() + 2 * pixels * 3 * Float.BYTES,
                new ImageDecoder(40_000_000, false).plan(progressive, null).memoryBytes(),
                "a progressive JPEG also holds every DCT coefficient, two bytes each");

        byte[] grey = ImageDecoderTest.fixture("grey.jpg");
        JpegHeader greyHeader = JpegHeader.read(grey);
        assertEquals(1, greyHeader.components());
        long greyPixels = (long) greyHeader.width() * greyHeader.height();
        assertEquals(2 * greyPixels + 2 * greyPixels * Float.BYTES,
                new ImageDecoder(40_000_000, false).plan(grey, null).memoryBytes(), "one channel");

        LargeImageDecodeTest.assumeTurbo();
        ImageDecoder.Plan turbo = new ImageDecoder(40_000_000, true).plan(baseline, to100x75);
        assertTrue(turbo.turbo());
        assertEquals(baseline.length + 2 * quarter * 3 + 2 * quarter * 3 * Float.BYTES, turbo.memoryBytes(),
                "TurboJPEG: the encoded copy and the reduced samples only");
        ImageDecoder.Plan turboProgressive = new ImageDecoder(40_000_000, true).plan(progressive, null);
        assertTrue(turboProgressive.turbo());
        assertEquals(progressive.length + 2 * pixels * 3 + 2 * pixels * header.components()
                + 2 * pixels * 3 * Float.BYTES, turboProgressive.memoryBytes());
        assertEquals(grey.length + 2 * greyPixels + 2 * greyPixels * Float.BYTES,
                new ImageDecoder(40_000_000, true).plan(grey, null).memoryBytes());
    }

    /** {@code jpeg} with an EXIF segment whose IFD0 holds only the orientation tag, big-endian. */
    static byte[] withExifOrientation(byte[] jpeg, int orientation) {
        byte[] tiff = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1,
                (byte) (orientation >> 8), (byte) orientation, 0, 0, 0, 0, 0, 0};
        byte[] payload = new byte[6 + tiff.length];
        System.arraycopy(new byte[] {'E', 'x', 'i', 'f', 0, 0}, 0, payload, 0, 6);
        System.arraycopy(tiff, 0, payload, 6, tiff.length);
        int length = payload.length + 2;
        byte[] out = new byte[jpeg.length + 4 + payload.length];
        out[0] = (byte) 0xFF;
        out[1] = (byte) 0xD8;
        out[2] = (byte) 0xFF;
        out[3] = (byte) 0xE1;
        out[4] = (byte) (length >> 8);
        out[5] = (byte) length;
        System.arraycopy(payload, 0, out, 6, payload.length);
        System.arraycopy(jpeg, 2, out, 6 + payload.length, jpeg.length - 2);
        return out;
    }

    @Test
    void anExifOrientationOutsideOneToEightShowsThePictureAsStored() {
        byte[] jpeg = TestImages.jpeg(TestImages.rgb(40, 20, 5), 0.9f);
        for (int orientation = 1; orientation <= 8; orientation++) {
            assertEquals(orientation, ImageDecoder.exifOrientation(withExifOrientation(jpeg, orientation)));
        }
        for (int invalid : new int[] {0, 9, 255, 65535}) {
            assertEquals(1, ImageDecoder.exifOrientation(withExifOrientation(jpeg, invalid)), "orientation " + invalid);
        }
        ImageDecoder.Plan rotated = new ImageDecoder(40_000_000).plan(withExifOrientation(jpeg, 6), null);
        assertEquals(6, rotated.orientation());
        assertEquals(new ImageDecoder.Size(20, 40), rotated.size());
        assertEquals(1, ImageDecoder.exifOrientation(jpeg), "no EXIF");
    }

    static BufferedImage bgr(BufferedImage source) {
        BufferedImage out = new BufferedImage(source.getWidth(), source.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        out.getGraphics().drawImage(source, 0, 0, null);
        return out;
    }

    static void assertShows(BufferedImage image, Pixels pixels) {
        assertEquals(image.getWidth(), pixels.width());
        assertEquals(image.getHeight(), pixels.height());
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                for (int c = 0; c < 3; c++) {
                    assertEquals(((rgb >> (16 - 8 * c)) & 0xff) / 255f, pixels.at(c, x, y), 1e-6f,
                            "channel " + c + " at " + x + "," + y);
                }
            }
        }
    }

    @Test
    void interleavedBgrIsReadStraightFromItsArrayAndAnyOtherLayoutRowByRow() {
        BufferedImage whole = bgr(TestImages.rgb(30, 20, 7));
        Pixels straight = ImageDecoder.toPixels(whole);
        assertTrue(straight.rgb8() != null, "8-bit samples kept");
        assertShows(whole, straight);
        // Sub-images share the parent's array from an offset: full rows lower down, and a window.
        for (BufferedImage sub : new BufferedImage[] {whole.getSubimage(0, 4, 30, 8), whole.getSubimage(3, 2, 10, 9)}) {
            Pixels pixels = ImageDecoder.toPixels(sub);
            assertNull(pixels.rgb8(), "read row by row");
            assertShows(sub, pixels);
        }
        // Halved straight from the array: each output is its block's mean, rounded, as 8 bits; odd sizes
        // end in partial blocks.
        for (BufferedImage image : new BufferedImage[] {whole, bgr(TestImages.rgb(31, 21, 8))}) {
            int w = image.getWidth();
            int h = image.getHeight();
            Pixels half = ImageDecoder.toPixels(image, 2);
            assertTrue(half.rgb8() != null);
            assertEquals((w + 1) / 2, half.width());
            assertEquals((h + 1) / 2, half.height());
            for (int y = 0; y < half.height(); y++) {
                for (int x = 0; x < half.width(); x++) {
                    for (int c = 0; c < 3; c++) {
                        int sum = 0;
                        int count = 0;
                        for (int yy = 2 * y; yy < Math.min(h, 2 * y + 2); yy++) {
                            for (int xx = 2 * x; xx < Math.min(w, 2 * x + 2); xx++) {
                                sum += (image.getRGB(xx, yy) >> (16 - 8 * c)) & 0xff;
                                count++;
                            }
                        }
                        assertEquals(Math.round((float) sum / count) / 255f, half.at(c, x, y), 1.01f / 255,
                                w + "x" + h + " at " + x + "," + y);
                    }
                }
            }
        }
    }

    @Test
    void formatsReadByImageIoAreEstimatedFromTheirSampleSizes() throws Exception {
        byte[] bmp = TestImages.encode(TestImages.rgb(40, 30, 2), "bmp");
        assertEquals(2L * 1200 * 3 + 2L * 1200 * 3 * Float.BYTES, new ImageDecoder(40_000_000).plan(bmp, null).memoryBytes(),
                "24-bit BMP: 3 bytes a pixel");
        byte[] gif = TestImages.encode(TestImages.grey(40, 30, 2), "gif");
        assertEquals(2L * 1200 * 1 + 2L * 1200 * 3 * Float.BYTES, new ImageDecoder(40_000_000).plan(gif, null).memoryBytes(),
                "8-bit palette: 1 byte a pixel");
    }

    @Test
    void turboJpegRefusesBrokenTablesAndDecodesGreyAsOneChannel() throws Exception {
        byte[] jpeg = TestImages.jpeg(TestImages.rgb(64, 48, 9), 0.9f);
        assertEquals(ImageDecoder.turboJpegAvailable(), new ImageDecoder(40_000_000).plan(jpeg, null).turbo(),
                "a default decoder uses TurboJPEG exactly when a library is there");
        LargeImageDecodeTest.assumeTurbo();
        JpegLibrary library = ImageDecoder.jpegLibrary();
        byte[] broken = jpeg.clone();
        int dht = 2;
        while (!((broken[dht] & 0xff) == 0xFF && (broken[dht + 1] & 0xff) == 0xC4)) {
            dht++;
        }
        // The 16 code-length counts after the segment length and the table's class and id: far too many codes.
        Arrays.fill(broken, dht + 5, dht + 21, (byte) 0xFF);
        assertNull(TurboJpeg.decode(library, broken, 64, 48, false, 1), "a fatal error is no image");
        ImageDecoder decoder = new ImageDecoder(40_000_000, true);
        ImageDecoder.Plan plan = decoder.plan(broken, null);
        assertTrue(plan.turbo());
        ImageException e = assertThrows(ImageException.class, () -> decoder.decode(broken, plan));
        assertEquals("the JPEG data is broken or truncated", e.getMessage());

        byte[] grey = ImageDecoderTest.fixture("grey.jpg");
        Pixels greyPixels = decoder.decode(grey, decoder.plan(grey, null));
        assertEquals(1, greyPixels.channels());
        assertNull(greyPixels.rgb8());
    }
}
