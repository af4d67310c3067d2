package io.resnetservice.image;

import java.nio.charset.StandardCharsets;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A PNG decoded one row at a time and block-averaged as it goes, so a large PNG never exists as a full
 * raster: memory is two rows plus the reduced output. Covers what large PNGs are (non-interlaced, 8 or
 * 16 bits per sample, grey, grey+alpha, RGB, RGBA, or 8-bit palette); anything else returns null from
 * {@link #header} and goes through ImageIO. Values match ImageIO's: grey from the samples, colour
 * through 8-bit ARGB, transparency composited onto white.
 */
final class PngRows {

    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    /** What the IHDR chunk says. */
    record Header(int width, int height, int bitDepth, int colourType) {
        int samplesPerPixel() {
            return switch (colourType) {
                case 0, 3 -> 1;
                case 4 -> 2;
                case 2 -> 3;
                default -> 4;
            };
        }

        int bytesPerPixel() {
            return samplesPerPixel() * bitDepth / 8;
        }

        boolean grey() {
            return colourType == 0 || colourType == 4;
        }
    }

    private PngRows() {}

    /** The header when this reader handles the file, else null. */
    static Header header(byte[] png) {
        return header(png, png.length);
    }

    /** As {@link #header(byte[])} for a PNG that is the first {@code end} bytes of {@code png}. */
    static Header header(byte[] png, int end) {
        if (end < 33) {
            return null;
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (png[i] != SIGNATURE[i]) {
                return null;
            }
        }
        if (!"IHDR".equals(new String(png, 12, 4, StandardCharsets.ISO_8859_1))) {
            return null;
        }
        int width = readInt(png, 16);
        int height = readInt(png, 20);
        int bitDepth = png[24] & 0xff;
        int colourType = png[25] & 0xff;
        int interlace = png[28] & 0xff;
        boolean supported = interlace == 0 && width > 0 && height > 0
                && (bitDepth == 8 || (bitDepth == 16 && colourType != 3))
                && (colourType == 0 || colourType == 2 || colourType == 3 || colourType == 4 || colourType == 6);
        // A transparent colour (tRNS) on grey or RGB becomes an alpha channel in ImageIO: leave those to it.
        for (int at = 8; supported && at + 8 <= end; ) {
            int length = readInt(png, at);
            String type = new String(png, at + 4, 4, StandardCharsets.ISO_8859_1);
            if ("IDAT".equals(type) || length < 0) {
                break;
            }
            if ("tRNS".equals(type) && colourType != 3) {
                supported = false;
            }
            at += 12 + length;
        }
        return supported ? new Header(width, height, bitDepth, colourType) : null;
    }

    /** Decodes {@code png}, each side divided by {@code reduction} (rounded up) by averaging blocks. */
    static Pixels decode(byte[] png, Header header, int reduction) {
        return decode(png, png.length, header, reduction);
    }

    /** As {@link #decode(byte[], Header, int)} for a PNG that is the first {@code end} bytes of {@code png}. */
    static Pixels decode(byte[] png, int end, Header header, int reduction) {
        int w = header.width();
        int h = header.height();
        BlockSums blocks = new BlockSums(w, h, header.grey() ? 1 : 3, reduction);
        int[] palette = null;
        int stride = header.bytesPerPixel();
        int rowBytes = (int) ((long) w * stride);
        byte[] previous = new byte[rowBytes];
        byte[] current = new byte[rowBytes];
        Inflater inflater = new Inflater();
        try {
            int at = 8;
            int y = 0;
            int filled = -1; // bytes of the current row read so far, -1 before its filter byte
            int filter = 0;
            while (at + 8 <= end && y < h) {
                int length = readInt(png, at);
                String type = new String(png, at + 4, 4, StandardCharsets.ISO_8859_1);
                int data = at + 8;
                if (length < 0 || data + length > end) {
                    break;
                }
                if ("PLTE".equals(type)) {
                    palette = palette(png, data, length, palette);
                } else if ("tRNS".equals(type) && header.colourType() == 3) {
                    palette = transparency(png, data, length, palette);
                } else if ("IDAT".equals(type)) {
                    inflater.setInput(png, data, length);
                    byte[] buffer = new byte[Math.max(4096, rowBytes + 1)];
                    while (y < h) {
                        int n = inflater.inflate(buffer);
                        if (n == 0) {
                            if (inflater.needsInput() || inflater.finished()) {
                                break;
                            }
                            if (inflater.needsDictionary()) {
                                throw new DataFormatException("preset dictionary");
                            }
                        }
                        for (int i = 0; i < n && y < h; i++) {
                            if (filled < 0) {
                                filter = buffer[i] & 0xff;
                                filled = 0;
                                continue;
                            }
                            current[filled++] = buffer[i];
                            if (filled == rowBytes) {
                                unfilter(filter, current, previous, stride);
                                accumulate(header, current, palette, w, reduction, blocks.sums, blocks.ow);
                                blocks.endRow(y);
                                byte[] swap = previous;
                                previous = current;
                                current = swap;
                                filled = -1;
                                y++;
                            }
                        }
                    }
                } else if ("IEND".equals(type)) {
                    break;
                }
                at = data + length + 4;
            }
            if (y < h) {
                throw new ImageException(ImageException.Kind.UNDECODABLE, "the PNG data is broken or truncated");
            }
            return blocks.pixels();
        } catch (DataFormatException e) {
            throw new ImageException(ImageException.Kind.UNDECODABLE, "the PNG data is broken or truncated");
        } finally {
            inflater.end();
        }
    }

    /** Adds row {@code y}'s pixels, as floats in [0, 1] composited onto white, to the block sums. */
    private static void accumulate(Header header, byte[] row, int[] palette, int w, int reduction,
            float[] sums, int ow) {
        if (header.colourType() == 2 && header.bitDepth() == 8) {
            accumulateRgb8(row, w, reduction, sums, ow);
            return;
        }
        boolean sixteen = header.bitDepth() == 16;
        int spp = header.samplesPerPixel();
        for (int x = 0; x < w; x++) {
            int o = x / reduction;
            if (header.grey()) {
                float max = sixteen ? 65535f : 255f;
                float v = sample(row, x * spp, sixteen) / max;
                if (header.colourType() == 4) {
                    float a = sample(row, x * spp + 1, sixteen) / max;
                    v = v * a + (1f - a);
                }
                sums[o] += v;
                continue;
            }
            int argb;
            if (header.colourType() == 3) {
                int index = row[x] & 0xff;
                if (palette == null || index >= palette.length) {
                    throw new ImageException(ImageException.Kind.UNDECODABLE, "the PNG data is broken or truncated");
                }
                argb = palette[index];
            } else {
                int r = eight(row, x * spp, sixteen);
                int g = eight(row, x * spp + 1, sixteen);
                int b = eight(row, x * spp + 2, sixteen);
                int a = header.colourType() == 6 ? eight(row, x * spp + 3, sixteen) : 255;
                argb = a << 24 | r << 16 | g << 8 | b;
            }
            float a = (argb >>> 24) / 255f;
            float white = 1f - a;
            sums[o] += ((argb >> 16) & 0xff) / 255f * a + white;
            sums[ow + o] += ((argb >> 8) & 0xff) / 255f * a + white;
            sums[2 * ow + o] += (argb & 0xff) / 255f * a + white;
        }
    }

    /** The common case, opaque 8-bit RGB, without per-pixel branches or divisions. */
    private static void accumulateRgb8(byte[] row, int w, int reduction, float[] sums, int ow) {
        final float unit = 1f / 255f;
        for (int o = 0, x = 0; o < ow; o++) {
            int end = Math.min(w, x + reduction);
            int r = 0;
            int g = 0;
            int b = 0;
            for (int i = 3 * x; x < end; x++, i += 3) {
                r += row[i] & 0xff;
                g += row[i + 1] & 0xff;
                b += row[i + 2] & 0xff;
            }
            sums[o] += r * unit;
            sums[ow + o] += g * unit;
            sums[2 * ow + o] += b * unit;
        }
    }

    private static int sample(byte[] row, int index, boolean sixteen) {
        return sixteen ? ((row[2 * index] & 0xff) << 8) | (row[2 * index + 1] & 0xff) : row[index] & 0xff;
    }

    /** A sample as 8 bits, as Java's colour model converts 16-bit samples for {@code getRGB}. */
    private static int eight(byte[] row, int index, boolean sixteen) {
        return sixteen ? (int) (sample(row, index, true) / 65535f * 255f + 0.5f) : row[index] & 0xff;
    }

    /** The PNG row filters (specification, section 9). */
    private static void unfilter(int filter, byte[] row, byte[] prior, int bpp) {
        int n = row.length;
        switch (filter) {
            case 0 -> { }
            case 1 -> {
                for (int i = bpp; i < n; i++) {
                    row[i] += row[i - bpp];
                }
            }
            case 2 -> {
                for (int i = 0; i < n; i++) {
                    row[i] += prior[i];
                }
            }
            case 3 -> {
                for (int i = 0; i < n; i++) {
                    int left = i >= bpp ? row[i - bpp] & 0xff : 0;
                    row[i] += (byte) ((left + (prior[i] & 0xff)) >>> 1);
                }
            }
            case 4 -> {
                for (int i = 0; i < n; i++) {
                    int a = i >= bpp ? row[i - bpp] & 0xff : 0;
                    int b = prior[i] & 0xff;
                    int c = i >= bpp ? prior[i - bpp] & 0xff : 0;
                    int p = a + b - c;
                    int pa = Math.abs(p - a);
                    int pb = Math.abs(p - b);
                    int pc = Math.abs(p - c);
                    row[i] += (byte) (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }
            }
            default -> throw new ImageException(ImageException.Kind.UNDECODABLE, "the PNG data is broken or truncated");
        }
    }

    private static int[] palette(byte[] png, int data, int length, int[] existing) {
        int entries = length / 3;
        int[] palette = new int[entries];
        for (int i = 0; i < entries; i++) {
            int alpha = existing != null && i < existing.length ? existing[i] >>> 24 : 255;
            palette[i] = alpha << 24 | (png[data + 3 * i] & 0xff) << 16 | (png[data + 3 * i + 1] & 0xff) << 8
                    | (png[data + 3 * i + 2] & 0xff);
        }
        return palette;
    }

    private static int[] transparency(byte[] png, int data, int length, int[] palette) {
        if (palette == null) {
            return null;
        }
        for (int i = 0; i < Math.min(length, palette.length); i++) {
            palette[i] = (png[data + i] & 0xff) << 24 | (palette[i] & 0xffffff);
        }
        return palette;
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }
}
