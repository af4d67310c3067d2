package io.resnetservice.image;

import com.drew.imaging.ImageMetadataReader;
import com.drew.metadata.Metadata;
import com.drew.metadata.exif.ExifIFD0Directory;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Turns uploaded bytes into {@link Pixels}: sniffs the format from its magic bytes, checks the declared
 * size against the pixel limit before any pixel memory is allocated, decodes the first frame, applies the
 * EXIF orientation, and composites transparency onto white.
 */
public final class ImageDecoder {

    /** The formats we read, recognised by their first bytes rather than by what the client claims. */
    public enum Format { JPEG, PNG, GIF, BMP, WEBP }

    private final long maxPixels;

    static {
        ImageIO.setUseCache(false);
        ImageIO.scanForPlugins();
    }

    public ImageDecoder(long maxPixels) {
        this.maxPixels = maxPixels;
    }

    public static Format sniff(byte[] b) {
        if (b.length >= 3 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8 && (b[2] & 0xff) == 0xFF) {
            return Format.JPEG;
        }
        if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return Format.PNG;
        }
        if (b.length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8') {
            return Format.GIF;
        }
        if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') {
            return Format.BMP;
        }
        if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F'
                && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
            return Format.WEBP;
        }
        return null;
    }

    public Pixels decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new ImageException(ImageException.Kind.EMPTY, "the image is empty (0 bytes)");
        }
        Format format = sniff(bytes);
        if (format == null) {
            throw new ImageException(ImageException.Kind.UNSUPPORTED_FORMAT,
                    "not an image in a supported format (JPEG, PNG, GIF, BMP, WebP)");
        }
        BufferedImage image = read(bytes, format);
        Pixels pixels = toPixels(image);
        int orientation = exifOrientation(bytes);
        return orientation == 1 ? pixels : Orientation.apply(pixels, orientation);
    }

    private BufferedImage read(byte[] bytes, Format format) {
        String name = format.name().toLowerCase(Locale.ROOT);
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(name);
            if (!readers.hasNext()) {
                throw new ImageException(ImageException.Kind.UNSUPPORTED_FORMAT, "no decoder for " + format);
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long width = reader.getWidth(0);
                long height = reader.getHeight(0);
                if (width <= 0 || height <= 0) {
                    throw new ImageException(ImageException.Kind.UNDECODABLE, "the " + format + " header declares no pixels");
                }
                if (width * height > maxPixels) {
                    throw new ImageException(ImageException.Kind.TOO_LARGE, String.format(Locale.ROOT,
                            "the image declares %dx%d pixels, over the limit of %d pixels", width, height, maxPixels));
                }
                BufferedImage image = reader.read(0, reader.getDefaultReadParam());
                if (image == null) {
                    throw new ImageException(ImageException.Kind.UNDECODABLE, "the " + format + " data holds no image");
                }
                return image;
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
        int w = image.getWidth();
        int h = image.getHeight();
        Raster raster = image.getRaster();
        boolean grey = image.getColorModel() instanceof ComponentColorModel
                && image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
        if (grey) {
            return greyFromRaster(raster, image.getColorModel().hasAlpha(), w, h);
        }
        if (image.getType() == BufferedImage.TYPE_3BYTE_BGR && raster.getSampleModel()
                instanceof java.awt.image.PixelInterleavedSampleModel sm && sm.getPixelStride() == 3
                && sm.getScanlineStride() == 3 * w && raster.getSampleModelTranslateX() == 0
                && raster.getSampleModelTranslateY() == 0) {
            return fromInterleavedBytes(((java.awt.image.DataBufferByte) raster.getDataBuffer()).getData(),
                    sm.getBandOffsets(), w, h);
        }
        float[] data = new float[3 * w * h];
        int plane = w * h;
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int argb = row[x];
                float a = (argb >>> 24) / 255f;
                float white = 1f - a;
                int i = y * w + x;
                data[i] = ((argb >> 16) & 0xff) / 255f * a + white;
                data[plane + i] = ((argb >> 8) & 0xff) / 255f * a + white;
                data[2 * plane + i] = (argb & 0xff) / 255f * a + white;
            }
        }
        return new Pixels(w, h, 3, data);
    }

    /**
     * What JPEG decoding gives: 8-bit samples, three per pixel, kept as they are. Read straight from
     * the array, because {@code getRGB} converts every pixel through the colour model and cost three
     * times the decode.
     */
    private static Pixels fromInterleavedBytes(byte[] bytes, int[] bandOffsets, int w, int h) {
        return Pixels.ofRgb8(w, h, bytes, bandOffsets);
    }

    /**
     * Grey images are read from the raster: {@code getRGB} would push their samples through Java's linear
     * grey colour space and brighten them.
     */
    private static Pixels greyFromRaster(Raster raster, boolean alpha, int w, int h) {
        int bits = raster.getSampleModel().getSampleSize(0);
        float max = (float) ((1L << bits) - 1);
        float alphaMax = alpha ? (float) ((1L << raster.getSampleModel().getSampleSize(1)) - 1) : 1f;
        float[] data = new float[w * h];
        int[] grey = new int[w];
        int[] transparency = alpha ? new int[w] : null;
        for (int y = 0; y < h; y++) {
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
                data[y * w + x] = v;
            }
        }
        return new Pixels(w, h, 1, data);
    }

    static int exifOrientation(byte[] bytes) {
        try {
            Metadata metadata = ImageMetadataReader.readMetadata(new ByteArrayInputStream(bytes), bytes.length);
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
