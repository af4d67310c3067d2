package io.resnetservice.training;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * Images that are not clothing, made here, to measure how well a model tells them from its own kind:
 * crops of real photographs (Debian's python3-skimage ships them), handwritten digits (python3-sklearn's
 * 8x8 digits, enlarged), rendered letters and digits, drawn shapes, and noise. Each set is a list of
 * encoded files, as a client would send them; each is fixed by its seed.
 */
public final class OutOfDistribution {

    public static final Path SKIMAGE_DATA = Path.of("/usr/lib/python3/dist-packages/skimage/data");
    public static final Path SKLEARN_DIGITS = Path.of("/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz");
    /** skimage's real photographs (not its synthetic or microscope test patterns). */
    public static final List<String> PHOTOGRAPHS = List.of("astronaut.png", "camera.png", "chelsea.png", "coffee.png",
            "coins.png", "hubble_deep_field.jpg", "motorcycle_left.png", "rocket.jpg", "moon.png", "grass.png",
            "gravel.png", "brick.png", "horse.png", "page.png");
    static final Path FONT = Path.of("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");

    public record Set(String id, String description, List<byte[]> files) {}

    private OutOfDistribution() {}

    /** Every set whose source is installed here. */
    public static List<Set> all(int perSet) {
        List<Set> sets = new ArrayList<>();
        if (Files.isDirectory(SKIMAGE_DATA)) {
            sets.add(photographs(perSet));
        }
        if (Files.isRegularFile(SKLEARN_DIGITS)) {
            sets.add(handwrittenDigits(perSet));
        }
        sets.add(glyphs(perSet));
        sets.add(shapes(perSet));
        sets.add(noise(perSet));
        return sets;
    }

    /** skimage's photographs, whole and as random crops (30-100 % of the shorter side), as JPEG. */
    public static Set photographs(int count) {
        List<BufferedImage> photos = new ArrayList<>();
        for (String name : PHOTOGRAPHS) {
            Path file = SKIMAGE_DATA.resolve(name);
            if (Files.isRegularFile(file)) {
                photos.add(read(file));
            }
        }
        Random random = new Random(1);
        List<byte[]> files = new ArrayList<>();
        for (BufferedImage photo : photos) {
            if (files.size() < count) {
                files.add(ProductPhotos.encode(rgb(photo), 0.9f));
            }
        }
        for (int i = files.size(); i < count; i++) {
            BufferedImage photo = photos.get(i % photos.size());
            int shorter = Math.min(photo.getWidth(), photo.getHeight());
            int side = (int) (shorter * (0.3 + 0.7 * random.nextDouble()));
            int x = random.nextInt(photo.getWidth() - side + 1);
            int y = random.nextInt(photo.getHeight() - side + 1);
            files.add(ProductPhotos.encode(rgb(photo.getSubimage(x, y, side, side)), 0.9f));
        }
        return new Set("photographs", "the " + photos.size() + " photographs shipped by python3-skimage ("
                + String.join(", ", PHOTOGRAPHS) + ") whole, then random square crops of them (30-100 % of the"
                + " shorter side), JPEG", files);
    }

    /** The photograph of a cat (skimage's chelsea), whole. */
    public static byte[] cat() {
        return ProductPhotos.encode(rgb(read(SKIMAGE_DATA.resolve("chelsea.png"))), 0.9f);
    }

    /** python3-sklearn's 8x8 handwritten digits, dark on white, enlarged to 64x64 (bilinear), PNG. */
    public static Set handwrittenDigits(int count) {
        List<byte[]> files = new ArrayList<>();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(SKLEARN_DIGITS))) {
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
            for (int i = 0; i < Math.min(count, lines.size()); i++) {
                String[] values = lines.get(i).split(",");
                BufferedImage small = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
                for (int p = 0; p < 64; p++) {
                    int v = 255 - (int) Math.round(Double.parseDouble(values[p]) * 255 / 16);
                    small.setRGB(p % 8, p / 8, v << 16 | v << 8 | v);
                }
                BufferedImage big = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = big.createGraphics();
                g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
                g.drawImage(small, 0, 0, 64, 64, null);
                g.dispose();
                files.add(ProductPhotos.encode(big, 0));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Set("handwritten-digits", "python3-sklearn's 8x8 digits, dark on white, enlarged to 64x64, PNG", files);
    }

    /** Letters and digits in DejaVu Sans at random sizes and places, dark on white, PNG. */
    public static Set glyphs(int count) {
        Random random = new Random(2);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        Font base = font();
        List<byte[]> files = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            BufferedImage image = canvas(128, 128, Color.WHITE);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.BLACK);
            g.setFont(base.deriveFont(random.nextBoolean() ? Font.BOLD : Font.PLAIN, 50f + random.nextInt(50)));
            String glyph = String.valueOf(alphabet.charAt(random.nextInt(alphabet.length())));
            int w = g.getFontMetrics().stringWidth(glyph);
            g.drawString(glyph, Math.max(0, (128 - w) / 2 + random.nextInt(21) - 10), 90 + random.nextInt(21) - 10);
            g.dispose();
            files.add(ProductPhotos.encode(image, 0));
        }
        return new Set("letters-and-digits", "one letter or digit of DejaVu Sans (plain or bold, 50-99 px), black on a"
                + " white 128x128 canvas, PNG", files);
    }

    /** Filled and outlined circles, rectangles and triangles, dark on white, PNG. */
    public static Set shapes(int count) {
        Random random = new Random(3);
        List<byte[]> files = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            BufferedImage image = canvas(128, 128, Color.WHITE);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            int grey = random.nextInt(120);
            g.setColor(new Color(grey, grey, grey));
            g.setStroke(new BasicStroke(2 + random.nextInt(8)));
            int x = 10 + random.nextInt(40);
            int y = 10 + random.nextInt(40);
            int w = 30 + random.nextInt(70);
            int h = 30 + random.nextInt(70);
            boolean fill = random.nextBoolean();
            switch (random.nextInt(3)) {
                case 0 -> { if (fill) g.fillOval(x, y, w, h); else g.drawOval(x, y, w, h); }
                case 1 -> { if (fill) g.fillRect(x, y, w, h); else g.drawRect(x, y, w, h); }
                default -> {
                    Polygon triangle = new Polygon(new int[] {x, x + w, x + w / 2}, new int[] {y + h, y + h, y}, 3);
                    if (fill) g.fillPolygon(triangle); else g.drawPolygon(triangle);
                }
            }
            g.dispose();
            files.add(ProductPhotos.encode(image, 0));
        }
        return new Set("shapes", "a circle, rectangle or triangle (filled or outlined, random size and place) in a dark"
                + " grey on a white 128x128 canvas, PNG", files);
    }

    /** Uniform noise, half of it smoothed, PNG. */
    public static Set noise(int count) {
        Random random = new Random(4);
        List<byte[]> files = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int cells = i % 2 == 0 ? 64 : 8;
            BufferedImage small = new BufferedImage(cells, cells, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < cells; y++) {
                for (int x = 0; x < cells; x++) {
                    small.setRGB(x, y, random.nextInt(1 << 24));
                }
            }
            BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(small, 0, 0, 64, 64, null);
            g.dispose();
            files.add(ProductPhotos.encode(image, 0));
        }
        return new Set("noise", "uniform RGB noise, 64x64, every second image smoothed (8x8 cells enlarged), PNG", files);
    }

    private static Font font() {
        try {
            return Files.isRegularFile(FONT) ? Font.createFont(Font.TRUETYPE_FONT, FONT.toFile()) : new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        } catch (Exception e) {
            return new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        }
    }

    private static BufferedImage canvas(int w, int h, Color colour) {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(colour);
        g.fillRect(0, 0, w, h);
        g.dispose();
        return image;
    }

    private static BufferedImage rgb(BufferedImage image) {
        BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.drawImage(image, 0, 0, null);
        g.dispose();
        return out;
    }

    private static BufferedImage read(Path file) {
        try {
            BufferedImage image = ImageIO.read(file.toFile());
            if (image == null) {
                throw new IOException("not an image: " + file);
            }
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
