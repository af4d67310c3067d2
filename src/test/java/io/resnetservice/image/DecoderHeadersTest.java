package io.resnetservice.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.resnetservice.support.TestImages;
import java.util.Arrays;
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
}
