package io.resnetservice.image;

/**
 * An image reduced by block averaging as its rows arrive: each side divided by {@code reduction}
 * (rounded up), each output pixel the mean of the input pixels its block covers (fewer at the right and
 * bottom edges). Callers add a row's values to {@link #sums} (channel {@code c}, output column
 * {@code o} at {@code c * ow + o}), then call {@link #endRow}.
 */
final class BlockSums {

    final int ow;
    final float[] sums;
    private final int w;
    private final int h;
    private final int channels;
    private final int reduction;
    private final int plane;
    private final float[] out;

    BlockSums(int w, int h, int channels, int reduction) {
        this.w = w;
        this.h = h;
        this.channels = channels;
        this.reduction = reduction;
        this.ow = (w + reduction - 1) / reduction;
        this.plane = ow * ((h + reduction - 1) / reduction);
        this.sums = new float[channels * ow];
        this.out = new float[channels * plane];
    }

    /** Adds one row given channel by channel ({@code row[c * w + x]}). */
    void addRow(float[] row) {
        for (int c = 0; c < channels; c++) {
            for (int x = 0; x < w; x++) {
                sums[c * ow + x / reduction] += row[c * w + x];
            }
        }
    }

    /** Closes input row {@code y}: at the end of a block row its averages are written and the sums cleared. */
    void endRow(int y) {
        if ((y + 1) % reduction != 0 && y + 1 != h) {
            return;
        }
        int oy = y / reduction;
        int rows = y + 1 - oy * reduction;
        for (int ox = 0; ox < ow; ox++) {
            int count = rows * (Math.min(w, (ox + 1) * reduction) - ox * reduction);
            for (int c = 0; c < channels; c++) {
                out[c * plane + oy * ow + ox] = sums[c * ow + ox] / count;
                sums[c * ow + ox] = 0f;
            }
        }
    }

    Pixels pixels() {
        return new Pixels(ow, plane / ow, channels, out);
    }
}
