package io.resnetservice.training;

import io.resnetservice.image.ImageDecoder;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.preprocess.Preprocessor;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;
import java.util.stream.IntStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Fashion-MNIST test images staged as shops photograph products: the item dark on a light backdrop
 * (the dataset's negation undone), smaller than the frame, off-centre, in frames of other shapes, as PNG
 * or JPEG. Each rendering is fixed by the image's index, so a slice always makes the same files.
 */
public final class ProductPhotos {

    public enum Variant {
        WHITE_MARGINS("white-margins", 400, 400, 1f, 200, 0, 0, -1,
                "dark on white: the item drawn 200x200 in the middle of a 400x400 canvas (a 25 % margin on every side), PNG"),
        GREY_PORTRAIT("grey-off-centre-portrait", 300, 400, 0.82f, 210, 0.12, 0.12, -1,
                "dark on light grey (0.82): a 300x400 portrait canvas, the item 210x210 (70 % of the width) moved"
                        + " off-centre by up to 12 % of the width and of the height, PNG"),
        WHITE_JPEG("white-margins-jpeg", 320, 320, 1f, 200, 0.08, 0.08, 0.75f,
                "dark on white: a 320x320 canvas, the item 200x200 off-centre by up to 8 %, JPEG quality 75"),
        WIDE_JPEG("wide-white-jpeg", 640, 360, 1f, 240, 0.3, 0.1, 0.85f,
                "dark on white: a 640x360 landscape canvas, the item 240x240 off-centre by up to 30 % of the width"
                        + " and 10 % of the height, JPEG quality 85");

        public final String id;
        final int width;
        final int height;
        final float backdrop;
        final int item;
        final double shiftX;
        final double shiftY;
        final float jpegQuality;
        public final String description;

        Variant(String id, int width, int height, float backdrop, int item, double shiftX, double shiftY,
                float jpegQuality, String description) {
            this.id = id;
            this.width = width;
            this.height = height;
            this.backdrop = backdrop;
            this.item = item;
            this.shiftX = shiftX;
            this.shiftY = shiftY;
            this.jpegQuality = jpegQuality;
            this.description = description;
        }

        public String mediaType() {
            return jpegQuality > 0 ? "image/jpeg" : "image/png";
        }
    }

    private ProductPhotos() {}

    /** Test image {@code index} of {@code split} as this variant's encoded file. */
    public static byte[] render(Variant variant, FashionMnist.Split split, int index) {
        int size = FashionMnist.SIZE;
        BufferedImage item = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                float ink = (split.images()[index * size * size + y * size + x] & 0xff) / 255f;
                int v = Math.round(255 * variant.backdrop * (1 - ink));
                item.setRGB(x, y, v << 16 | v << 8 | v);
            }
        }
        Random random = new Random(index * 7919L + variant.ordinal());
        int x = (variant.width - variant.item) / 2 + (int) Math.round((random.nextDouble() * 2 - 1) * variant.shiftX * variant.width);
        int y = (variant.height - variant.item) / 2 + (int) Math.round((random.nextDouble() * 2 - 1) * variant.shiftY * variant.height);
        x = Math.max(0, Math.min(variant.width - variant.item, x));
        y = Math.max(0, Math.min(variant.height - variant.item, y));
        BufferedImage canvas = new BufferedImage(variant.width, variant.height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas.createGraphics();
        int b = Math.round(255 * variant.backdrop);
        g.setColor(new Color(b, b, b));
        g.fillRect(0, 0, variant.width, variant.height);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(item, x, y, variant.item, variant.item, null);
        g.dispose();
        return encode(canvas, variant.jpegQuality);
    }

    static byte[] encode(BufferedImage image, float jpegQuality) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (jpegQuality <= 0) {
                ImageIO.write(image, "png", out);
                return out.toByteArray();
            }
            ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
            try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
                ImageWriteParam param = writer.getDefaultWriteParam();
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(jpegQuality);
                writer.setOutput(stream);
                writer.write(null, new IIOImage(image, null, null), param);
            } finally {
                writer.dispose();
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The variant of every image of {@code split}, decoded and preprocessed as the service does. */
    public static FashionMnist.Prepared prepare(FashionMnist.Split split, Variant variant, ModelSpec spec) {
        Preprocessor preprocessor = new Preprocessor(spec.input(), spec.preprocess());
        ImageDecoder decoder = new ImageDecoder(100_000_000L);
        int tensor = preprocessor.tensorSize();
        float[] tensors = new float[split.count() * tensor];
        IntStream.range(0, split.count()).parallel().forEach(i -> {
            preprocessor.applyFile(decoder, render(variant, split, i), tensors, i * tensor);
        });
        return new FashionMnist.Prepared(tensors, split.labels(), split.count(), spec.input().channels(),
                spec.input().width());
    }
}
