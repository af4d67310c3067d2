package io.resnetservice.preprocess;

import io.resnetservice.preprocess.Preprocessor.Plane;
import java.util.Arrays;

/**
 * Frames the item of a product photo as Fashion-MNIST's pipeline framed its photos: the background is
 * estimated from the border, the item is cropped to its bounding box (plus a small margin), and on a
 * dark canvas the background becomes black. An item too small to trust, or one that already spans the
 * frame's width or height (as the dataset's own images do), leaves the whole frame; a border that is not
 * near-uniform (an ordinary photo) leaves its centre square.
 */
final class ObjectFrame {

    /** Border spread (90th percentile of the distance from its median) above which it is not a backdrop. */
    static final float UNIFORM = 0.08f;
    /** How far from the background, beyond the border's own spread, a pixel must be to count as the item. */
    static final float CONTRAST = 0.04f;
    /** Items smaller than this share of the frame are taken for noise or texture. */
    static final double MIN_AREA = 0.01;
    static final double MARGIN = 0.02;
    /** An item spanning this share of the frame's width or height is framed already. */
    static final double FRAMED = 0.9;

    /** The planes to fit, their size, and where they start in the picture. */
    record Framed(Plane[] planes, int width, int height, int left, int top) {}

    private ObjectFrame() {}

    static Framed of(Plane[] planes, int w, int h, boolean darkCanvas) {
        Framed whole = new Framed(planes, w, h, 0, 0);
        if (w < 3 || h < 3) {
            return whole;
        }
        int n = w * h;
        float[] lum = new float[n];
        for (Plane plane : planes) {
            for (int i = 0; i < n; i++) {
                lum[i] += plane.at(i) / planes.length;
            }
        }
        int[] border = borderIndices(w, h);
        float background = median(new Plane(lum, 0), border);
        float[] distance = new float[border.length];
        for (int i = 0; i < border.length; i++) {
            distance[i] = Math.abs(lum[border[i]] - background);
        }
        Arrays.sort(distance);
        float spread = distance[(int) (0.9 * (distance.length - 1))];
        if (spread > UNIFORM) {
            return centreSquare(planes, w, h);
        }
        // The border's typical noise, not its spread: an item that touches the edges raises the latter.
        float threshold = CONTRAST + distance[distance.length / 2];
        int left = w;
        int right = -1;
        int top = h;
        int bottom = -1;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (Math.abs(lum[y * w + x] - background) > threshold) {
                    left = Math.min(left, x);
                    right = Math.max(right, x);
                    top = Math.min(top, y);
                    bottom = Math.max(bottom, y);
                }
            }
        }
        if (right < 0 || (double) (right - left + 1) * (bottom - top + 1) < MIN_AREA * n) {
            return whole;
        }
        if (right - left + 1 >= FRAMED * w || bottom - top + 1 >= FRAMED * h) {
            // Already framed as the dataset frames its items (the longer side touching the edges).
            return whole;
        }
        int margin = (int) Math.round(MARGIN * Math.max(right - left + 1, bottom - top + 1));
        left = Math.max(0, left - margin);
        top = Math.max(0, top - margin);
        right = Math.min(w - 1, right + margin);
        bottom = Math.min(h - 1, bottom + margin);
        int cw = right - left + 1;
        int ch = bottom - top + 1;
        Plane[] cropped = new Plane[planes.length];
        for (int c = 0; c < planes.length; c++) {
            float canvas = darkCanvas ? median(planes[c], border) : 0f;
            float scale = darkCanvas && canvas < 1f ? 1f / (1f - canvas) : 1f;
            float[] out = new float[cw * ch];
            for (int y = 0; y < ch; y++) {
                int from = (top + y) * w + left;
                for (int x = 0; x < cw; x++) {
                    float v = planes[c].at(from + x);
                    out[y * cw + x] = darkCanvas ? Math.min(1f, Math.max(0f, (v - canvas) * scale)) : v;
                }
            }
            cropped[c] = new Plane(out, 0);
        }
        return new Framed(cropped, cw, ch, left, top);
    }

    /**
     * A picture with no backdrop is a scene, not a product shot: its centre square. Fitted whole and padded
     * with black, a landscape photo becomes a light rectangle between dark bands, which the network reads as a
     * bag with confidence, and which looks to its features like one too.
     */
    static Framed centreSquare(Plane[] planes, int w, int h) {
        if (w == h) {
            return new Framed(planes, w, h, 0, 0);
        }
        int side = Math.min(w, h);
        int left = (w - side) / 2;
        int top = (h - side) / 2;
        Plane[] square = new Plane[planes.length];
        for (int c = 0; c < planes.length; c++) {
            float[] out = new float[side * side];
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    out[y * side + x] = planes[c].at((top + y) * w + left + x);
                }
            }
            square[c] = new Plane(out, 0);
        }
        return new Framed(square, side, side, left, top);
    }

    /** The outermost ring of pixels, each once. */
    static int[] borderIndices(int w, int h) {
        int[] indices = new int[2 * w + 2 * (h - 2)];
        int k = 0;
        for (int x = 0; x < w; x++) {
            indices[k++] = x;
            indices[k++] = (h - 1) * w + x;
        }
        for (int y = 1; y < h - 1; y++) {
            indices[k++] = y * w;
            indices[k++] = y * w + w - 1;
        }
        return indices;
    }

    private static float median(Plane plane, int[] at) {
        float[] picked = new float[at.length];
        for (int i = 0; i < at.length; i++) {
            picked[i] = plane.at(at[i]);
        }
        Arrays.sort(picked);
        return picked[picked.length / 2];
    }
}
