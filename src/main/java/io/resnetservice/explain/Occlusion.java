package io.resnetservice.explain;

import io.resnetservice.image.Pixels;

/**
 * Occlusion on the picture as the user sees it, played both ways (Fong and Vedaldi 2017): <em>deletion</em>
 * (Zeiler and Fergus 2014) paints a small window of a grid laid over the decoded image (after EXIF
 * orientation) with the image's own background and asks how much the class's log-probability falls;
 * <em>preservation</em> paints everything but a larger window and asks how much of the class is left. A
 * cell's value is the sum of the two, each scaled to [0, 1], scaled so that the largest is 1. Because the
 * paint is applied before any crop, fit or pad, cell (r, c) is exactly the region rows r/R..(r+1)/R, columns
 * c/C..(c+1)/C of the original: nothing has to be mapped back.
 */
public final class Occlusion {

    /**
     * Cells per side of the occluder, which slides one cell at a time: a cell's value is the mean over the
     * windows that cover it. Occluding single cells left maps that a small item's texture made noisy.
     */
    static final int WINDOW = 2;

    /**
     * Cells per side of the window kept alone, placed wholly inside the grid at every offset. Deletion on its
     * own lets a region score where hiding it merely disturbs the picture; what is left when only a region
     * is shown says which region carries the class (docs/explanations.md has the measurements).
     */
    static final int KEPT = 3;

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

        int keptRows() {
            return Math.min(KEPT, rows);
        }

        int keptCols() {
            return Math.min(KEPT, cols);
        }

        /** Placements of the kept window along a row of the grid. */
        int keptAcross() {
            return cols - keptCols() + 1;
        }

        /** How many placements the kept window has: one per offset at which it lies wholly inside the grid. */
        public int keptCount() {
            return (rows - keptRows() + 1) * keptAcross();
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
        int row = index / grid.cols();
        int col = index % grid.cols();
        return painted(p, grid, row, col, Math.min(grid.rows(), row + WINDOW), Math.min(grid.cols(), col + WINDOW),
                fill, false);
    }

    /**
     * A copy of the picture painted {@code fill} everywhere but the kept window at placement {@code index}
     * (row-major over the {@link Grid#keptCount()} placements).
     */
    public static Pixels keptOnly(Pixels p, Grid grid, int index, float[] fill) {
        int row = index / grid.keptAcross();
        int col = index % grid.keptAcross();
        return painted(p, grid, row, col, row + grid.keptRows(), col + grid.keptCols(), fill, true);
    }

    /** How many forward passes an explanation on {@code grid} takes: the picture, each deletion, each kept window. */
    public static int passes(Grid grid) {
        return 1 + grid.size() + grid.keptCount();
    }

    /**
     * The picture of pass {@code pass} of {@link #passes}: the picture itself first, then one copy per
     * deletion window, then one per kept window. A copy is pooled: the caller releases it.
     */
    public static Pixels pass(Pixels p, Grid grid, int pass, float[] fill) {
        return pass == 0 ? p
                : pass <= grid.size() ? occluded(p, grid, pass - 1, fill)
                : keptOnly(p, grid, pass - 1 - grid.size(), fill);
    }

    /** {@link #heatmap} from the class's probability in each of the {@link #passes}, in their order. */
    public static float[] heatmap(Grid grid, float[] byPass) {
        int deleted = grid.size();
        return heatmap(grid, byPass[0], java.util.Arrays.copyOfRange(byPass, 1, 1 + deleted),
                java.util.Arrays.copyOfRange(byPass, 1 + deleted, passes(grid)));
    }

    /** Paints cells [row0, row1) x [col0, col1) with {@code fill}, or with {@code outside} everything else. */
    private static Pixels painted(Pixels p, Grid grid, int row0, int col0, int row1, int col1, float[] fill,
            boolean outside) {
        int w = p.width();
        int h = p.height();
        int x0 = grid.x0(col0, w);
        int x1 = grid.x0(col1, w);
        int y0 = grid.y0(row0, h);
        int y1 = grid.y0(row1, h);
        Pixels.Rgb8 rgb8 = p.rgb8();
        if (rgb8 != null) {
            // Pooled: an explanation paints a hundred copies of the picture; the caller releases each.
            byte[] bytes = Pixels.borrowSamples(3 * w * h);
            System.arraycopy(rgb8.bytes(), 0, bytes, 0, 3 * w * h);
            byte[] paint = new byte[3];
            for (int c = 0; c < 3; c++) {
                paint[c] = (byte) Math.round(fill[c] * 255);
            }
            for (int y = 0; y < h; y++) {
                boolean rowInside = y >= y0 && y < y1;
                for (int x = 0; x < w; x++) {
                    if ((rowInside && x >= x0 && x < x1) != outside) {
                        for (int c = 0; c < 3; c++) {
                            bytes[3 * (y * w + x) + rgb8.offsets()[c]] = paint[c];
                        }
                    }
                }
            }
            return Pixels.ofPooledRgb8(w, h, bytes, rgb8.offsets());
        }
        float[] data = p.data().clone();
        for (int c = 0; c < p.channels(); c++) {
            for (int y = 0; y < h; y++) {
                int at = (c * h + y) * w;
                if (!outside) {
                    if (y >= y0 && y < y1) {
                        java.util.Arrays.fill(data, at + x0, at + x1, fill[c]);
                    }
                } else if (y >= y0 && y < y1) {
                    java.util.Arrays.fill(data, at, at + x0, fill[c]);
                    java.util.Arrays.fill(data, at + x1, at + w, fill[c]);
                } else {
                    java.util.Arrays.fill(data, at, at + w, fill[c]);
                }
            }
        }
        return new Pixels(w, h, p.channels(), data);
    }

    /**
     * Each cell's value in [0, 1]: the sum of its deletion value (the mean fall in the class's
     * log-probability, never below 0, over the windows that cover it) and its preservation value (the mean
     * log-probability the class keeps over the kept windows that cover it, above the lowest), each scaled so
     * that its largest is 1, and the sum scaled the same way (all 0 where nothing varies). Log-probabilities,
     * because a softmax saturates: a class at 0.999 or at 0.001 barely moves in probability when a part of it
     * is hidden, but its log-probability does.
     *
     * @param occluded the class's probability with each deletion window painted (one per cell)
     * @param kept the class's probability with only each kept window shown ({@link Grid#keptCount()})
     */
    public static float[] heatmap(Grid grid, float original, float[] occluded, float[] kept) {
        double base = log(original);
        double[] drops = new double[occluded.length];
        for (int i = 0; i < drops.length; i++) {
            drops[i] = Math.max(0, base - log(occluded[i]));
        }
        double[] deletion = scaledToOne(covered(grid, drops, WINDOW, WINDOW, grid.cols()));
        double lowest = Double.MAX_VALUE;
        for (float k : kept) {
            lowest = Math.min(lowest, log(k));
        }
        double[] left = new double[kept.length];
        for (int i = 0; i < kept.length; i++) {
            left[i] = log(kept[i]) - lowest;
        }
        double[] preservation = scaledToOne(covered(grid, left, grid.keptRows(), grid.keptCols(), grid.keptAcross()));
        double[] sum = new double[grid.size()];
        for (int i = 0; i < sum.length; i++) {
            sum[i] = deletion[i] + preservation[i];
        }
        scaledToOne(sum);
        float[] values = new float[grid.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) sum[i];
        }
        return values;
    }

    private static double log(float probability) {
        return Math.log(Math.max(probability, 1e-30f));
    }

    /**
     * Each cell: the mean of {@code windowValues} over the windows of {@code rows x cols} cells that cover it
     * (placed row-major, {@code across} per row, cut at the grid's edges where placements start at every cell).
     */
    private static double[] covered(Grid grid, double[] windowValues, int rows, int cols, int across) {
        int down = windowValues.length / across;
        double[] values = new double[grid.size()];
        for (int r = 0; r < grid.rows(); r++) {
            for (int c = 0; c < grid.cols(); c++) {
                double sum = 0;
                int n = 0;
                for (int wr = Math.max(0, r - rows + 1); wr <= Math.min(r, down - 1); wr++) {
                    for (int wc = Math.max(0, c - cols + 1); wc <= Math.min(c, across - 1); wc++) {
                        sum += windowValues[wr * across + wc];
                        n++;
                    }
                }
                values[r * grid.cols() + c] = n == 0 ? 0 : sum / n;
            }
        }
        return values;
    }

    /** Scales {@code values} in place so that the largest is 1 (left as they are when none is above 0). */
    private static double[] scaledToOne(double[] values) {
        double max = 0;
        for (double v : values) {
            max = Math.max(max, v);
        }
        if (max > 0) {
            for (int i = 0; i < values.length; i++) {
                values[i] /= max;
            }
        }
        return values;
    }
}
