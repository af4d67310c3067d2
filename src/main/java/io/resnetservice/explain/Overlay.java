package io.resnetservice.explain;

import io.resnetservice.image.Pixels;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * The picture with its heatmap drawn over it, as a PNG: the grid is interpolated bilinearly between cell
 * centres and blended in from transparent (0) to opaque red-yellow (1), so the regions the class depends
 * on glow and the rest stays as uploaded.
 */
public final class Overlay {

    static final float MAX_ALPHA = 0.65f;

    private Overlay() {}

    public static byte[] png(Pixels pixels, ExplanationService.Heatmap heatmap) {
        int w = pixels.width();
        int h = pixels.height();
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float v = sample(heatmap, (x + 0.5f) / w, (y + 0.5f) / h);
                float a = MAX_ALPHA * v;
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    float base = pixels.at(pixels.channels() == 3 ? c : 0, x, y);
                    float heat = c == 0 ? 1f : c == 1 ? v : 0f; // red, to yellow where it matters most
                    int value = Math.round(255 * ((1 - a) * base + a * heat));
                    rgb = (rgb << 8) | Math.max(0, Math.min(255, value));
                }
                image.setRGB(x, y, rgb);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The heatmap at (u, v) in [0, 1] of the picture, bilinear between cell centres. */
    static float sample(ExplanationService.Heatmap heatmap, float u, float v) {
        float gx = u * heatmap.cols() - 0.5f;
        float gy = v * heatmap.rows() - 0.5f;
        int x0 = (int) Math.floor(gx);
        int y0 = (int) Math.floor(gy);
        float fx = gx - x0;
        float fy = gy - y0;
        return (1 - fy) * ((1 - fx) * cell(heatmap, x0, y0) + fx * cell(heatmap, x0 + 1, y0))
                + fy * ((1 - fx) * cell(heatmap, x0, y0 + 1) + fx * cell(heatmap, x0 + 1, y0 + 1));
    }

    private static float cell(ExplanationService.Heatmap heatmap, int col, int row) {
        int c = Math.max(0, Math.min(heatmap.cols() - 1, col));
        int r = Math.max(0, Math.min(heatmap.rows() - 1, row));
        return heatmap.values()[r * heatmap.cols() + c];
    }
}
