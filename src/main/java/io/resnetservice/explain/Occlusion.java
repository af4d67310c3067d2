package io.resnetservice.explain;

import io.resnetservice.image.Pixels;

/**
 * Occlusion sensitivity (Zeiler and Fergus 2014) on the picture as the user sees it: each cell of a grid
 * laid over the decoded image (after EXIF orientation) is painted over with the image's own background,
 * the result goes through the model's whole preprocessing, and the cell's value is how much the class's
 * probability falls. Because the occluder is placed before any crop, fit or pad, cell (r, c) is exactly
 * the region rows r/R..(r+1)/R, columns c/C..(c+1)/C of the original: nothing has to be mapped back.
 */
public final class Occlusion {

    /**
     * Cells per side of the occluder, which slides one cell at a time: a cell's value is the mean over the
     * windows that cover it. Occluding single cells left maps that a small item's texture made noisy.
     */
    static final int WINDOW = 2;

    private Occlusion() {}

    /** Cells along each side. */
    public record Grid(int rows, int cols) {

        /** {@code cells} along the picture's longer side, as many of the same size along the shorter. */
        public static Grid of(int width, int height, int cells) {
            int longer = Math.max(width, height);
            int shorter = Math.min(width, height);
            int across = Math.max(1, (int) Math.round((double) cells * shorter / longer));
            return width >= height ? new Grid(across, cells) : new Grid(cells, across);
        }

        public int size() {
            return rows * cols;
        }

        int x0(int col, int width) {
            return (int) ((long) col * width / cols);
        }

        int y0(int row, int height) {
            return (int) ((long) row * height / rows);
        }
    }

    /** The colour the occluder paints: the mean of the image's outermost pixels, per channel, in [0, 1]. */
    public static float[] background(Pixels p) {
        int w = p.width();
        int h = p.height();
        float[] mean = new float[p.channels()];
        for (int c = 0; c < p.channels(); c++) {
            double sum = 0;
            long n = 0;
            for (int x = 0; x < w; x++) {
                sum += p.at(c, x, 0) + p.at(c, x, h - 1);
                n += 2;
            }
            for (int y = 1; y < h - 1; y++) {
                sum += p.at(c, 0, y) + p.at(c, w - 1, y);
                n += 2;
            }
            mean[c] = (float) (sum / n);
        }
        return mean;
    }

    /**
     * A copy of the picture with the window at cell {@code index} (row-major) painted {@code fill}: that
     * cell and the next {@link #WINDOW} - 1 to its right and below, cut at the picture's edges.
     */
    public static Pixels occluded(Pixels p, Grid grid, int index, float[] fill) {
        int w = p.width();
        int h = p.height();
        int row = index / grid.cols();
        int col = index % grid.cols();
        int x0 = grid.x0(col, w);
        int x1 = grid.x0(Math.min(grid.cols(), col + WINDOW), w);
        int y0 = grid.y0(row, h);
        int y1 = grid.y0(Math.min(grid.rows(), row + WINDOW), h);
        Pixels.Rgb8 rgb8 = p.rgb8();
        if (rgb8 != null) {
            byte[] bytes = rgb8.bytes().clone();
            for (int y = y0; y < y1; y++) {
                for (int x = x0; x < x1; x++) {
                    for (int c = 0; c < 3; c++) {
                        bytes[3 * (y * w + x) + rgb8.offsets()[c]] = (byte) Math.round(fill[c] * 255);
                    }
                }
            }
            return Pixels.ofRgb8(w, h, bytes, rgb8.offsets());
        }
        float[] data = p.data().clone();
        for (int c = 0; c < p.channels(); c++) {
            for (int y = y0; y < y1; y++) {
                java.util.Arrays.fill(data, (c * h + y) * w + x0, (c * h + y) * w + x1, fill[c]);
            }
        }
        return new Pixels(w, h, p.channels(), data);
    }

    /**
     * Each cell's value: the mean fall in the class's log-probability (never below 0) over the windows
     * that cover it, scaled so that the largest is 1; all 0 where no occlusion lowers it. Log-probabilities,
     * because a softmax saturates: a class at 0.999 or at 0.001 barely moves in probability when a part of
     * it is hidden, but its log-probability does (docs/explanations.md has the measurements behind both choices).
     */
    public static float[] heatmap(Grid grid, float original, float[] occluded) {
        double base = Math.log(Math.max(original, 1e-30f));
        float[] drops = new float[occluded.length];
        for (int i = 0; i < drops.length; i++) {
            drops[i] = (float) Math.max(0, base - Math.log(Math.max(occluded[i], 1e-30f)));
        }
        // Each cell: the mean drop of the windows covering it (those starting up to WINDOW - 1 cells above or left).
        float[] values = new float[occluded.length];
        float max = 0;
        for (int r = 0; r < grid.rows(); r++) {
            for (int c = 0; c < grid.cols(); c++) {
                double sum = 0;
                int n = 0;
                for (int wr = Math.max(0, r - WINDOW + 1); wr <= r; wr++) {
                    for (int wc = Math.max(0, c - WINDOW + 1); wc <= c; wc++) {
                        sum += drops[wr * grid.cols() + wc];
                        n++;
                    }
                }
                values[r * grid.cols() + c] = (float) (sum / n);
                max = Math.max(max, values[r * grid.cols() + c]);
            }
        }
        if (max > 0) {
            for (int i = 0; i < values.length; i++) {
                values[i] /= max;
            }
        }
        return values;
    }
}
