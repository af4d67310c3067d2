package io.resnetservice.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The row-by-row PNG reader against ImageIO on PNGs written here byte by byte, as libpng writes them and
 * Java's own writer does not: every row filter (none, sub, up, average, Paeth) in turn, the data split
 * over several IDAT chunks, each colour type and bit depth it handles, and a palette with transparency.
 */
class PngRowsTest {

    /** A PNG of {@code rows} (unfiltered samples, big-endian), row y filtered with filter {@code y % 5}. */
    static byte[] png(int width, int height, int bitDepth, int colourType, byte[][] rows, byte[] palette, byte[] alpha,
            int interlace) throws IOException {
        int bpp = Math.max(1, channels(colourType) * bitDepth / 8);
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        byte[] prior = new byte[rows[0].length];
        for (int y = 0; y < height; y++) {
            int filter = y % 5;
            raw.write(filter);
            raw.write(filter(filter, rows[y], prior, bpp));
            prior = rows[y];
        }
        Deflater deflater = new Deflater(9);
        deflater.setInput(raw.toByteArray());
        deflater.finish();
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        byte[] buffer = new byte[1024];
        while (!deflater.finished()) {
            compressed.write(buffer, 0, deflater.deflate(buffer));
        }
        deflater.end();
        byte[] data = compressed.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        byte[] ihdr = new byte[13];
        putInt(ihdr, 0, width);
        putInt(ihdr, 4, height);
        ihdr[8] = (byte) bitDepth;
        ihdr[9] = (byte) colourType;
        ihdr[12] = (byte) interlace;
        chunk(out, "IHDR", ihdr);
        chunk(out, "tEXt", "Comment\0written by PngRowsTest".getBytes(StandardCharsets.ISO_8859_1));
        if (palette != null) {
            chunk(out, "PLTE", palette);
        }
        if (alpha != null) {
            chunk(out, "tRNS", alpha);
        }
        int third = data.length / 3;
        chunk(out, "IDAT", Arrays.copyOfRange(data, 0, third));
        chunk(out, "IDAT", Arrays.copyOfRange(data, third, 2 * third));
        chunk(out, "IDAT", Arrays.copyOfRange(data, 2 * third, data.length));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    static int channels(int colourType) {
        return switch (colourType) {
            case 0, 3 -> 1;
            case 4 -> 2;
            case 2 -> 3;
            default -> 4;
        };
    }

    /** The PNG specification's filters, applied to encode (section 9.2). */
    static byte[] filter(int type, byte[] row, byte[] prior, int bpp) {
        byte[] out = new byte[row.length];
        for (int i = 0; i < row.length; i++) {
            int x = row[i] & 0xff;
            int a = i >= bpp ? row[i - bpp] & 0xff : 0;
            int b = prior[i] & 0xff;
            int c = i >= bpp ? prior[i - bpp] & 0xff : 0;
            int predictor = switch (type) {
                case 0 -> 0;
                case 1 -> a;
                case 2 -> b;
                case 3 -> (a + b) / 2;
                default -> {
                    int p = a + b - c;
                    int pa = Math.abs(p - a);
                    int pb = Math.abs(p - b);
                    int pc = Math.abs(p - c);
                    yield pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
                }
            };
            out[i] = (byte) (x - predictor);
        }
        return out;
    }

    static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] length = new byte[4];
        putInt(length, 0, data.length);
        out.writeBytes(length);
        byte[] typeBytes = type.getBytes(StandardCharsets.ISO_8859_1);
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        byte[] sum = new byte[4];
        putInt(sum, 0, (int) crc.getValue());
        out.writeBytes(sum);
    }

    static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    /** Smooth ramps with noise, so every filter has both small and large differences to encode. */
    static byte[][] rows(int width, int height, int bytesPerRow, long seed, int palette) {
        Random random = new Random(seed);
        byte[][] rows = new byte[height][bytesPerRow];
        for (int y = 0; y < height; y++) {
            for (int i = 0; i < bytesPerRow; i++) {
                int v = palette > 0 ? (i + y + random.nextInt(3)) % palette : (i * 7 + y * 5 + random.nextInt(40)) & 0xff;
                rows[y][i] = (byte) v;
            }
        }
        return rows;
    }

    @ParameterizedTest(name = "colour type {0}, {1} bits, reduction {2}")
    @CsvSource({"0, 8, 1", "0, 16, 3", "2, 8, 1", "2, 8, 3", "2, 16, 1", "3, 8, 1", "3, 8, 3", "4, 8, 1", "4, 16, 3",
        "6, 8, 1", "6, 16, 3"})
    void everyRowFilterDecodesAsImageIoDoes(int colourType, int bitDepth, int reduction) throws IOException {
        int width = 37;
        int height = 23;
        int bytesPerRow = width * channels(colourType) * bitDepth / 8;
        byte[] palette = null;
        byte[] alpha = null;
        int entries = 0;
        if (colourType == 3) {
            entries = 29;
            palette = new byte[3 * entries];
            alpha = new byte[11];
            for (int i = 0; i < palette.length; i++) {
                palette[i] = (byte) (i * 37 + 11);
            }
            for (int i = 0; i < alpha.length; i++) {
                alpha[i] = (byte) (i * 23);
            }
        }
        byte[] png = png(width, height, bitDepth, colourType, rows(width, height, bytesPerRow, colourType * 100L + bitDepth,
                entries), palette, alpha, 0);
        PngRows.Header header = PngRows.header(png);
        assertNotNull(header, "handled");
        assertEquals(new PngRows.Header(width, height, bitDepth, colourType), header);
        Pixels rows = PngRows.decode(png, header, reduction);
        Pixels reference = ImageDecoder.toPixels(ImageIO.read(new ByteArrayInputStream(png)), reduction);
        assertEquals(reference.width(), rows.width());
        assertEquals(reference.height(), rows.height());
        assertEquals(reference.channels(), rows.channels());
        float tolerance = 0.5f / 255 + 1e-6f;
        assertArrayEquals(reference.data(), rows.data(), tolerance, "colour type " + colourType + ", " + bitDepth + " bits");
    }

    @Test
    void whatTheRowReaderLeavesToImageIoOrRefuses() throws IOException {
        byte[][] grey = rows(9, 5, 9, 1, 0);
        assertNotNull(PngRows.header(png(9, 5, 8, 0, grey, null, null, 0)));
        assertNull(PngRows.header(png(9, 5, 8, 0, grey, null, null, 1)), "interlaced");
        assertNull(PngRows.header(png(9, 5, 8, 0, grey, null, new byte[] {0, 7}, 0)), "a transparent grey level");
        byte[][] rgb = rows(9, 5, 27, 1, 0);
        assertNull(PngRows.header(png(9, 5, 8, 2, rgb, null, new byte[] {0, 1, 0, 2, 0, 3}, 0)), "a transparent colour");
        assertNull(PngRows.header(png(18, 5, 4, 3, rows(18, 5, 9, 1, 3), new byte[9], null, 0)), "4-bit palette");
        assertNull(PngRows.header(png(9, 5, 16, 3, rows(9, 5, 18, 1, 3), new byte[9], null, 0)), "16-bit palette");
        byte[] good = png(9, 5, 8, 0, grey, null, null, 0);
        byte[] badSignature = good.clone();
        badSignature[1] = 'Q';
        assertNull(PngRows.header(badSignature));
        assertNull(PngRows.header(Arrays.copyOf(good, 32)), "shorter than a header");
        byte[] zeroWidth = good.clone();
        putInt(zeroWidth, 16, 0);
        assertNull(PngRows.header(zeroWidth));

        PngRows.Header header = PngRows.header(good);
        byte[] cut = Arrays.copyOf(good, good.length - 30);
        assertEquals(ImageException.Kind.UNDECODABLE, assertThrows(ImageException.class,
                () -> PngRows.decode(cut, header, 1)).kind());
        byte[] reducedByTwo = png(9, 5, 8, 0, rows(9, 5, 9, 2, 0), null, null, 0);
        // A palette index beyond the palette is broken data, not an exception of another kind.
        byte[] overIndex = png(9, 5, 8, 3, rows(9, 5, 9, 1, 200), new byte[9], null, 0);
        assertEquals(ImageException.Kind.UNDECODABLE, assertThrows(ImageException.class,
                () -> PngRows.decode(overIndex, PngRows.header(overIndex), 1)).kind());
        Pixels halved = PngRows.decode(reducedByTwo, PngRows.header(reducedByTwo), 2);
        assertEquals(5, halved.width(), "9 columns in blocks of 2, the last block one column");
        assertEquals(3, halved.height());
    }
}
