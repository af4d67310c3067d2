package io.resnetservice.image;

import com.drew.imaging.ImageMetadataReader;
import com.drew.metadata.Metadata;
import com.drew.metadata.exif.ExifIFD0Directory;
import io.resnetservice.buffers.ArrayPool;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.function.UnaryOperator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;

/**
 * Turns uploaded bytes into {@link Pixels} in two steps. {@link #plan} reads only the header: it sniffs
 * the format from the magic bytes, checks the declared size against the pixel limit, reads the EXIF
 * orientation, chooses how far the image may be reduced while decoding, and estimates the memory the
 * decode will take, so that a caller can admit it before any pixel memory exists. {@link #decode} then
 * decodes the first frame, applies the orientation and composites transparency onto white.
 *
 * <p>JPEGs are decoded by TurboJPEG where the system has it, reduced in the DCT domain (1/2, 1/4, 1/8).
 * Large PNGs are decoded row by row straight into the reduced image ({@link PngRows}). Other formats,
 * and JPEGs where TurboJPEG is missing, are decoded by ImageIO and reduced by the same factor (box
 * average) before they become floats.
 */
public final class ImageDecoder {

    /** The formats we read, recognised by their first bytes rather than by what the client claims. */
    public enum Format { JPEG, PNG, GIF, BMP, WEBP }

    /** A width and a height in pixels. */
    public record Size(int width, int height) {}

    /**
     * How one image will be decoded, read from its header.
     *
     * @param width the stored width, before the EXIF orientation
     * @param height the stored height
     * @param orientation the EXIF orientation, 1 to 8
     * @param reduction each side is divided by this (rounded up) while decoding: 1, 2, 4 or 8
     * @param turbo decoded by TurboJPEG
     * @param streamed a PNG decoded row by row into the reduced image, never whole
     * @param memoryBytes an upper bound of the heap and native memory the decode and its float copies take
     */
    public record Plan(Format format, int width, int height, int orientation, int reduction, boolean turbo,
            boolean streamed, long memoryBytes) {

        /** The size of the picture as shown, the orientation applied, at full scale. */
        public Size size() {
            return orientation >= 5 ? new Size(height, width) : new Size(width, height);
        }
    }

    /** Reductions TurboJPEG does in the DCT domain, largest first. */
    private static final int[] REDUCTIONS = {8, 4, 2};

    private final long maxPixels;
    /** The libjpeg-turbo that decodes JPEGs; null: ImageIO. */
    private final JpegLibrary jpegLibrary;
    private final boolean turbo;

    static {
        ImageIO.setUseCache(false);
        ImageIO.scanForPlugins();
    }

    /** A decoder with the default JPEG library, which it names in the log (once per process). */
    public ImageDecoder(long maxPixels) {
        this(maxPixels, TurboJpeg.library());
        TurboJpeg.reportChoice();
    }

    /** A decoder that uses libjpeg-turbo (the system's, else the bundled one) only if {@code turbo} is true. */
    public ImageDecoder(long maxPixels, boolean turbo) {
        this(maxPixels, turbo ? TurboJpeg.library() : null);
    }

    /** A decoder that decodes JPEGs with {@code library} (null: ImageIO), which must be available. */
    public ImageDecoder(long maxPixels, JpegLibrary library) {
        if (library != null && !TurboJpeg.available(library)) {
            throw new IllegalStateException(library + " is not available");
        }
        this.maxPixels = maxPixels;
        this.jpegLibrary = library;
        this.turbo = library != null;
    }

    /** Chooses and loads the default JPEG library now, rather than when the first decoder is made. */
    public static void preloadJpegLibrary() {
        TurboJpeg.library();
    }

    /** Whether this machine decodes JPEGs with a libjpeg-turbo (the system's or the bundled one). */
    public static boolean turboJpegAvailable() {
        return TurboJpeg.available();
    }

    /** The libjpeg-turbo JPEGs are decoded with by default; null where they are decoded by ImageIO. */
    public static JpegLibrary jpegLibrary() {
        return TurboJpeg.library();
    }

    /** Whether {@code library} can be loaded on this machine (the bundled one is loaded by this call). */
    public static boolean available(JpegLibrary library) {
        return TurboJpeg.available(library);
    }

    /** The library this decoder decodes JPEGs with; null: ImageIO. */
    public JpegLibrary library() {
        return jpegLibrary;
    }

    public static Format sniff(byte[] b) {
        return sniff(b, b.length);
    }

    /** As {@link #sniff(byte[])} for an image that is the first {@code length} bytes of {@code b}. */
    static Format sniff(byte[] b, int length) {
        if (length >= 3 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8 && (b[2] & 0xff) == 0xFF) {
            return Format.JPEG;
        }
        if (length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return Format.PNG;
        }
        if (length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8') {
            return Format.GIF;
        }
        if (length >= 2 && b[0] == 'B' && b[1] == 'M') {
            return Format.BMP;
        }
        if (length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F'
                && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
            return Format.WEBP;
        }
        return null;
    }

    /** The whole image at full size. */
    public Pixels decode(byte[] bytes) {
        return decode(bytes, plan(bytes, null));
    }

    /**
     * Reads the header of {@code bytes} and decides how to decode it. {@code resizedTo} maps the picture's
     * size to the size the preprocessor will resize the whole picture to: the decode is reduced as far as
     * keeps at least twice that on both sides, so the antialiased resize that follows still sees enough
     * pixels. Null: full size.
     */
    public Plan plan(byte[] bytes, UnaryOperator<Size> resizedTo) {
        return plan(bytes, bytes == null ? 0 : bytes.length, resizedTo);
    }

    /**
     * As {@link #plan(byte[], UnaryOperator)} for an image that is the first {@code length} bytes of
     * {@code bytes} (a pooled upload), read in place whatever its format.
     */
    public Plan plan(byte[] bytes, int length, UnaryOperator<Size> resizedTo) {
        if (bytes == null || length == 0) {
            throw new ImageException(ImageException.Kind.EMPTY, "the image is empty (0 bytes)");
        }
        Format format = sniff(bytes, length);
        if (format == null) {
            throw new ImageException(ImageException.Kind.UNSUPPORTED_FORMAT,
                    "not an image in a supported format (JPEG, PNG, GIF, BMP, WebP)");
        }
        JpegHeader jpeg = format == Format.JPEG ? JpegHeader.read(bytes, length) : null;
        PngRows.Header png = format == Format.PNG ? PngRows.header(bytes, length) : null;
        long width;
        long height;
        int bytesPerPixel;
        if (jpeg != null && jpeg.width() > 0 && jpeg.height() > 0) {
            width = jpeg.width();
            height = jpeg.height();
            bytesPerPixel = Math.max(1, jpeg.components());
        } else if (png != null) {
            width = png.width();
            height = png.height();
            bytesPerPixel = png.bytesPerPixel();
        } else {
            Header header = header(bytes, length, format);
            width = header.width();
            height = header.height();
            bytesPerPixel = header.bytesPerPixel();
        }
        if (width <= 0 || height <= 0) {
            throw new ImageException(ImageException.Kind.UNDECODABLE, "the " + format + " header declares no pixels");
        }
        if (width * height > maxPixels) {
            throw new ImageException(ImageException.Kind.TOO_LARGE, String.format(Locale.ROOT,
                    "the image declares %dx%d pixels, over the limit of %d pixels", width, height, maxPixels));
        }
        int w = (int) width;
        int h = (int) height;
        int orientation = exifOrientation(bytes, length);
        int reduction = resizedTo == null ? 1 : reduction(w, h, orientation, resizedTo);
        boolean useTurbo = turbo && jpeg != null && jpeg.scan() && (jpeg.components() == 1 || jpeg.components() == 3);
        boolean streamed = png != null && reduction > 1;
        long memory = memoryBytes(length, w, h, reduction, useTurbo, streamed, bytesPerPixel, jpeg);
        return new Plan(format, w, h, orientation, reduction, useTurbo, streamed, memory);
    }

    static int reduction(int w, int h, int orientation, UnaryOperator<Size> resizedTo) {
        boolean swap = orientation >= 5;
        Size target = resizedTo.apply(swap ? new Size(h, w) : new Size(w, h));
        int needW = 2 * (swap ? target.height() : target.width());
        int needH = 2 * (swap ? target.width() : target.height());
        for (int k : REDUCTIONS) {
            if (ceilDiv(w, k) >= needW && ceilDiv(h, k) >= needH) {
                return k;
            }
        }
        return 1;
    }

    /**
     * What one decode holds at its peak: the encoded copy handed to TurboJPEG, the decoded samples (twice
     * the full size when ImageIO decodes, two rows when a PNG is streamed), the whole-image DCT coefficients a
     * progressive JPEG needs (two bytes a sample), and up to two float copies of the reduced image
     * (planes, and an orientation or colour conversion of them).
     */
    private static long memoryBytes(int encoded, int w, int h, int reduction, boolean turbo, boolean streamed,
            int bytesPerPixel, JpegHeader jpeg) {
        long full = (long) w * h;
        long reduced = (long) ceilDiv(w, reduction) * ceilDiv(h, reduction);
        int channels = jpeg != null && jpeg.components() == 1 ? 1 : 3;
        long coefficients = jpeg != null && jpeg.progressive() ? 2L * full * jpeg.components() : 0;
        // ImageIO's readers may hold a converted copy of the raster beside the decoded one: count two.
        long samples = turbo ? encoded + 2 * reduced * channels
                : streamed ? 2L * w * bytesPerPixel
                : 2 * full * bytesPerPixel;
        return samples + coefficients + 2 * reduced * channels * Float.BYTES;
    }

    public Pixels decode(byte[] bytes, Plan plan) {
        return decode(bytes, bytes.length, plan);
    }

    /** As {@link #decode(byte[], Plan)} for the first {@code length} bytes of {@code bytes}. */
    public Pixels decode(byte[] bytes, int length, Plan plan) {
        Pixels pixels = plan.turbo() ? decodeTurbo(bytes, length, plan)
                : plan.streamed() ? streamPng(bytes, length, plan)
                : toPixels(read(bytes, length, plan.format()), plan.reduction());
        return plan.orientation() == 1 ? pixels : Orientation.apply(pixels, plan.orientation());
    }

    private static Pixels streamPng(byte[] bytes, int length, Plan plan) {
        try {
            return PngRows.decode(bytes, length, PngRows.header(bytes, length), plan.reduction());
        } catch (ImageException e) {
            throw e;
        } catch (RuntimeException e) {
            // Broken data, as for ImageIO's decoders: never our fault, never a 500.
            throw new ImageException(ImageException.Kind.UNDECODABLE, "the PNG data is broken or truncated");
        }
    }

    private Pixels decodeTurbo(byte[] bytes, int length, Plan plan) {
        JpegHeader jpeg = JpegHeader.read(bytes, length);
        boolean grey = jpeg != null && jpeg.components() == 1;
        int w = ceilDiv(plan.width(), plan.reduction());
        int h = ceilDiv(plan.height(), plan.reduction());
        byte[] samples = TurboJpeg.decode(jpegLibrary, bytes, length, w, h, grey, plan.reduction());
        if (samples == null) {
            throw new ImageException(ImageException.Kind.UNDECODABLE, "the JPEG data is broken or truncated");
        }
        if (!grey) {
            return Pixels.ofPooledRgb8(w, h, samples,
                    jpegLibrary == JpegLibrary.BUNDLED_OPENCV ? new int[] {2, 1, 0} : new int[] {0, 1, 2});
        }
        float[] data = new float[w * h];
        for (int i = 0; i < data.length; i++) {
            data[i] = (samples[i] & 0xff) / 255f;
        }
        ArrayPool.SHARED.giveBack(samples);
        return new Pixels(w, h, 1, data);
    }

    /** The header as ImageIO reads it, for the formats we do not parse ourselves. */
    private record Header(long width, long height, int bytesPerPixel) {}

    private static Header header(byte[] bytes, int length, Format format) {
        return withReader(bytes, length, format, reader -> {
            ImageTypeSpecifier type = reader.getRawImageType(0);
            int bytesPerPixel = 8;
            if (type != null) {
                SampleModel sm = type.getSampleModel();
                int bits = 0;
                for (int size : sm.getSampleSize()) {
                    bits += size;
                }
                bytesPerPixel = Math.max(1, (bits + 7) / 8);
            }
            return new Header(reader.getWidth(0), reader.getHeight(0), bytesPerPixel);
        });
    }

    private static BufferedImage read(byte[] bytes, int length, Format format) {
        return withReader(bytes, length, format, reader -> {
            BufferedImage image = reader.read(0, reader.getDefaultReadParam());
            if (image == null) {
                throw new ImageException(ImageException.Kind.UNDECODABLE, "the " + format + " data holds no image");
            }
            return image;
        });
    }

    private interface ReaderWork<T> {
        T apply(ImageReader reader) throws IOException;
    }

    /** Runs {@code work} with an ImageIO reader over the first {@code length} bytes of {@code bytes}. */
    private static <T> T withReader(byte[] bytes, int length, Format format, ReaderWork<T> work) {
        String name = format.name().toLowerCase(Locale.ROOT);
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes, 0, length))) {
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(name);
            if (!readers.hasNext()) {
                throw new ImageException(ImageException.Kind.UNSUPPORTED_FORMAT, "no decoder for " + format);
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return work.apply(reader);
            } finally {
                reader.dispose();
            }
        } catch (ImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Decoders signal broken data with all sorts of runtime exceptions; none of them is our fault.
            throw new ImageException(ImageException.Kind.UNDECODABLE, "the " + format + " data is broken or truncated");
        }
    }

    static Pixels toPixels(BufferedImage image) {
        return toPixels(image, 1);
    }

    /**
     * The image's pixels, each side divided by {@code reduction} (rounded up) by averaging blocks of
     * {@code reduction x reduction} pixels, read one row at a time. JPEG's 8-bit interleaved samples stay
     * 8-bit: the preprocessor resamples straight from them.
     */
    static Pixels toPixels(BufferedImage image, int reduction) {
        int w = image.getWidth();
        int h = image.getHeight();
        Raster raster = image.getRaster();
        if (image.getType() == BufferedImage.TYPE_3BYTE_BGR
                && raster.getSampleModel() instanceof PixelInterleavedSampleModel sm && sm.getPixelStride() == 3
                && sm.getScanlineStride() == 3 * w && raster.getSampleModelTranslateX() == 0
                && raster.getSampleModelTranslateY() == 0) {
            // Read straight from the array: getRGB converts every pixel through the colour model.
            byte[] bytes = ((DataBufferByte) raster.getDataBuffer()).getData();
            return reduction == 1 ? Pixels.ofRgb8(w, h, bytes, sm.getBandOffsets())
                    : reduceRgb8(bytes, sm.getBandOffsets(), w, h, reduction);
        }
        RowReader rows = rowReader(image);
        BlockSums blocks = new BlockSums(w, h, rows.channels(), reduction);
        float[] row = new float[rows.channels() * w];
        for (int y = 0; y < h; y++) {
            rows.read(y, row);
            blocks.addRow(row);
            blocks.endRow(y);
        }
        return blocks.pixels();
    }

    /**
     * {@link #toPixels(BufferedImage, int)}'s block average for interleaved 8-bit RGB, rounded back to 8
     * bits as a DCT-domain reduction is, so the preprocessor's 8-bit path takes it.
     */
    private static Pixels reduceRgb8(byte[] bytes, int[] offsets, int w, int h, int reduction) {
        int ow = ceilDiv(w, reduction);
        int oh = ceilDiv(h, reduction);
        byte[] out = new byte[3 * ow * oh];
        int[] sums = new int[3 * ow];
        for (int oy = 0; oy < oh; oy++) {
            int y0 = oy * reduction;
            int y1 = Math.min(h, y0 + reduction);
            Arrays.fill(sums, 0);
            for (int y = y0; y < y1; y++) {
                int at = 3 * y * w;
                for (int ox = 0, x = 0; ox < ow; ox++) {
                    int end = Math.min(w, x + reduction);
                    for (; x < end; x++, at += 3) {
                        sums[3 * ox] += bytes[at + offsets[0]] & 0xff;
                        sums[3 * ox + 1] += bytes[at + offsets[1]] & 0xff;
                        sums[3 * ox + 2] += bytes[at + offsets[2]] & 0xff;
                    }
                }
            }
            for (int ox = 0; ox < ow; ox++) {
                int count = (y1 - y0) * (Math.min(w, (ox + 1) * reduction) - ox * reduction);
                int o = 3 * (oy * ow + ox);
                for (int c = 0; c < 3; c++) {
                    out[o + c] = (byte) ((sums[3 * ox + c] + count / 2) / count);
                }
            }
        }
        return Pixels.ofRgb8(ow, oh, out, new int[] {0, 1, 2});
    }

    /** One row of an image as floats in [0, 1], channel by channel ({@code row[c * width + x]}). */
    private interface RowReader {
        int channels();

        void read(int y, float[] row);
    }

    private static RowReader rowReader(BufferedImage image) {
        boolean grey = image.getColorModel() instanceof ComponentColorModel
                && image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
        return grey ? greyRows(image) : rgbRows(image);
    }

    /** Composited onto white through the colour model, which is what {@code getRGB} gives. */
    private static RowReader rgbRows(BufferedImage image) {
        int w = image.getWidth();
        int[] argbRow = new int[w];
        return new RowReader() {
            @Override
            public int channels() {
                return 3;
            }

            @Override
            public void read(int y, float[] row) {
                image.getRGB(0, y, w, 1, argbRow, 0, w);
                for (int x = 0; x < w; x++) {
                    int argb = argbRow[x];
                    float a = (argb >>> 24) / 255f;
                    float white = 1f - a;
                    row[x] = ((argb >> 16) & 0xff) / 255f * a + white;
                    row[w + x] = ((argb >> 8) & 0xff) / 255f * a + white;
                    row[2 * w + x] = (argb & 0xff) / 255f * a + white;
                }
            }
        };
    }

    /**
     * Grey images are read from the raster: {@code getRGB} would push their samples through Java's linear
     * grey colour space and brighten them.
     */
    private static RowReader greyRows(BufferedImage image) {
        Raster raster = image.getRaster();
        int w = image.getWidth();
        boolean alpha = image.getColorModel().hasAlpha();
        float max = (float) ((1L << raster.getSampleModel().getSampleSize(0)) - 1);
        float alphaMax = alpha ? (float) ((1L << raster.getSampleModel().getSampleSize(1)) - 1) : 1f;
        int[] grey = new int[w];
        int[] transparency = alpha ? new int[w] : null;
        return new RowReader() {
            @Override
            public int channels() {
                return 1;
            }

            @Override
            public void read(int y, float[] row) {
                raster.getSamples(0, y, w, 1, 0, grey);
                if (alpha) {
                    raster.getSamples(0, y, w, 1, 1, transparency);
                }
                for (int x = 0; x < w; x++) {
                    float v = grey[x] / max;
                    if (alpha) {
                        float a = transparency[x] / alphaMax;
                        v = v * a + (1f - a);
                    }
                    row[x] = v;
                }
            }
        };
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    static int exifOrientation(byte[] bytes) {
        return exifOrientation(bytes, bytes.length);
    }

    static int exifOrientation(byte[] bytes, int length) {
        try {
            Metadata metadata = ImageMetadataReader.readMetadata(new ByteArrayInputStream(bytes, 0, length), length);
            ExifIFD0Directory exif = metadata.getFirstDirectoryOfType(ExifIFD0Directory.class);
            if (exif != null && exif.containsTag(ExifIFD0Directory.TAG_ORIENTATION)) {
                int orientation = exif.getInt(ExifIFD0Directory.TAG_ORIENTATION);
                return orientation >= 1 && orientation <= 8 ? orientation : 1;
            }
        } catch (Exception e) {
            // Broken or absent metadata: the pixels decoded, so show them as stored.
        }
        return 1;
    }
}
