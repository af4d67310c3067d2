package io.resnetservice.preprocess;

import io.resnetservice.buffers.ArrayPool;
import java.util.Arrays;

/**
 * Separable resize with a triangle (bilinear) filter whose support widens with the downscale factor, the
 * way Pillow resizes and so the way torchvision's {@code Resize} does on PIL images. Plain bilinear
 * sampling would alias when a large photo shrinks to 224 or 28 pixels.
 */
public final class Resampler {

    /** The interpolation kernel, as Pillow names them. */
    public enum Filter {
        /** Triangle kernel: torchvision's (Pillow's) bilinear resize. */
        BILINEAR(1.0),
        /** Box kernel: each output pixel averages the input area it covers (OpenCV's INTER_AREA). */
        AREA(0.5);

        final double support;

        Filter(double support) {
            this.support = support;
        }

        /**
         * The kernel at {@code t}, the signed distance from the output pixel's centre to an input pixel's, in
         * input pixels scaled by the filter scale. The box is half-open, {@code (-0.5, 0.5]}, as Pillow's: a
         * centre exactly half-way between two input pixels takes one of them, not neither.
         */
        double weight(double t) {
            if (this == BILINEAR) {
                double a = Math.abs(t);
                return a < 1 ? 1 - a : 0;
            }
            return t > -0.5 && t <= 0.5 ? 1 : 0;
        }
    }

    private Resampler() {}

    /** Resizes one plane of {@code inW x inH} floats to {@code outW x outH} with the bilinear kernel. */
    public static float[] resize(float[] in, int inW, int inH, int outW, int outH) {
        return resize(in, inW, inH, outW, outH, Filter.BILINEAR);
    }

    /** Resizes one plane of {@code inW x inH} floats to {@code outW x outH}. */
    public static float[] resize(float[] in, int inW, int inH, int outW, int outH, Filter filter) {
        return resize(in, 0, inW, inH, outW, outH, filter);
    }

    /** As {@link #resize(float[], int, int, int, int, Filter)} for a plane starting at {@code offset}. */
    public static float[] resize(float[] in, int offset, int inW, int inH, int outW, int outH, Filter filter) {
        if (inW == outW && inH == outH) {
            return Arrays.copyOfRange(in, offset, offset + inW * inH);
        }
        return resizeWindow(in, offset, inW, inH, outW, outH, 0, 0, outW, outH, filter);
    }

    /**
     * The {@code width x height} window at ({@code left}, {@code top}) of the image resized to
     * {@code outW x outH}: the same values as resizing and then cropping, without computing the pixels
     * the crop throws away.
     */
    public static float[] resizeWindow(float[] in, int inW, int inH, int outW, int outH,
            int left, int top, int width, int height, Filter filter) {
        return resizeWindow(in, 0, inW, inH, outW, outH, left, top, width, height, filter);
    }

    /** As above, for a plane that starts at {@code offset} in {@code in} (one channel of a planar image). */
    public static float[] resizeWindow(float[] in, int offset, int inW, int inH, int outW, int outH,
            int left, int top, int width, int height, Filter filter) {
        Window window = Window.of(inW, inH, outW, outH, left, top, width, height, filter);
        float[] horizontal = ArrayPool.SHARED.floats(ArrayPool.roundUp(width * window.rows()));
        for (int y = window.firstRow; y < window.endRow; y++) {
            int row = offset + y * inW;
            int outRow = (y - window.firstRow) * width;
            for (int x = 0; x < width; x++) {
                int ox = left + x;
                int start = window.wx.start[ox];
                int base = ox * window.wx.taps;
                float sum = 0;
                for (int k = 0; k < window.wx.count[ox]; k++) {
                    sum += in[row + start + k] * window.wx.weights[base + k];
                }
                horizontal[outRow + x] = sum;
            }
        }
        float[] out = window.vertical(horizontal);
        ArrayPool.SHARED.giveBack(horizontal);
        return out;
    }

    /**
     * As above for all three channels of interleaved 8-bit RGB ({@code in[3 * i + offsets[c]]}) at once:
     * one horizontal pass reads each pixel's three bytes together, rather than striding over the photo
     * once per channel. Channel {@code c}'s plane, normalised as {@code (value - mean[c]) / std[c]}, goes
     * to {@code out} from {@code offset + c * width * height}: the model's input tensor is filled in the
     * vertical pass, without planes to allocate, zero and copy.
     */
    public static void resizeWindowRgb8Into(byte[] in, int[] offsets, int inW, int inH, int outW, int outH,
            int left, int top, int width, int height, Filter filter, float[] out, int offset, float[] mean, float[] std) {
        Window window = Window.of(inW, inH, outW, outH, left, top, width, height, filter);
        int plane = width * window.rows();
        // Scratch for the horizontal pass, hundreds of kilobytes each for a photo: borrowed, given back below.
        int length = ArrayPool.roundUp(plane);
        float[] r = ArrayPool.SHARED.floats(length);
        float[] g = ArrayPool.SHARED.floats(length);
        float[] b = ArrayPool.SHARED.floats(length);
        float unit = 1f / 255f;
        int o0 = offsets[0];
        int o1 = offsets[1];
        int o2 = offsets[2];
        for (int y = window.firstRow; y < window.endRow; y++) {
            int row = y * inW * 3;
            int outRow = (y - window.firstRow) * width;
            for (int x = 0; x < width; x++) {
                int ox = left + x;
                int at = row + window.wx.start[ox] * 3;
                int base = ox * window.wx.taps;
                float sr = 0;
                float sg = 0;
                float sb = 0;
                for (int k = 0, n = window.wx.count[ox]; k < n; k++, at += 3) {
                    float weight = window.wx.weights[base + k];
                    sr += (in[at + o0] & 0xff) * weight;
                    sg += (in[at + o1] & 0xff) * weight;
                    sb += (in[at + o2] & 0xff) * weight;
                }
                r[outRow + x] = sr * unit;
                g[outRow + x] = sg * unit;
                b[outRow + x] = sb * unit;
            }
        }
        int size = width * height;
        window.verticalInto(r, out, offset, mean[0], std[0]);
        window.verticalInto(g, out, offset + size, mean[1], std[1]);
        window.verticalInto(b, out, offset + 2 * size, mean[2], std[2]);
        ArrayPool.SHARED.giveBack(r);
        ArrayPool.SHARED.giveBack(g);
        ArrayPool.SHARED.giveBack(b);
    }

    /**
     * The taps of both axes for one output window, and the input rows it reads: a center crop skips
     * the top and bottom of the image.
     */
    private record Window(Weights wx, Weights wy, int top, int width, int height, int firstRow, int endRow) {
        static Window of(int inW, int inH, int outW, int outH, int left, int top, int width, int height, Filter filter) {
            Weights wy = Weights.of(inH, outH, filter);
            int firstRow = inH;
            int endRow = 0;
            for (int oy = top; oy < top + height; oy++) {
                firstRow = Math.min(firstRow, wy.start[oy]);
                endRow = Math.max(endRow, wy.start[oy] + wy.count[oy]);
            }
            return new Window(Weights.of(inW, outW, filter), wy, top, width, height, firstRow, Math.max(firstRow, endRow));
        }

        int rows() {
            return endRow - firstRow;
        }

        /**
         * The vertical pass into {@code out} at {@code offset}, each value then normalised. Its rows start
         * from the first tap rather than from zero, so nothing needs clearing first.
         */
        void verticalInto(float[] horizontal, float[] out, int offset, float mean, float std) {
            for (int y = 0; y < height; y++) {
                int oy = top + y;
                int start = wy.start[oy];
                int base = oy * wy.taps;
                int outRow = offset + y * width;
                int taps = wy.count[oy];
                if (taps == 0) {
                    Arrays.fill(out, outRow, outRow + width, 0f);
                }
                for (int k = 0; k < taps; k++) {
                    float weight = wy.weights[base + k];
                    int inRow = (start + k - firstRow) * width;
                    // Row by row, so both arrays are read in order.
                    if (k == 0) {
                        for (int x = 0; x < width; x++) {
                            out[outRow + x] = horizontal[inRow + x] * weight;
                        }
                    } else {
                        for (int x = 0; x < width; x++) {
                            out[outRow + x] += horizontal[inRow + x] * weight;
                        }
                    }
                }
                for (int x = 0; x < width; x++) {
                    out[outRow + x] = (out[outRow + x] - mean) / std;
                }
            }
        }

        /** The vertical pass over rows already filtered horizontally. */
        float[] vertical(float[] horizontal) {
            float[] out = new float[width * height];
            // (v - 0) / 1 is v exactly: the same pass as the normalising one, nothing changed.
            verticalInto(horizontal, out, 0, 0f, 1f);
            return out;
        }
    }

    /** Filter taps for one axis, computed once per resize as Pillow's {@code precompute_coeffs} does. */
    private record Weights(int taps, int[] start, int[] count, float[] weights) {
        static Weights of(int inSize, int outSize, Filter filter) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = filter.support * filterScale; // widened when shrinking, so nothing aliases
            int taps = (int) Math.ceil(support) * 2 + 1;
            int[] start = new int[outSize];
            int[] count = new int[outSize];
            float[] weights = new float[outSize * taps];
            for (int i = 0; i < outSize; i++) {
                double center = (i + 0.5) * scale;
                int min = Math.max((int) (center - support + 0.5), 0);
                int max = Math.min((int) (center + support + 0.5), inSize);
                int n = max - min;
                double total = 0;
                double[] w = new double[n];
                for (int k = 0; k < n; k++) {
                    w[k] = filter.weight((k + min - center + 0.5) / filterScale);
                    total += w[k];
                }
                for (int k = 0; k < n; k++) {
                    weights[i * taps + k] = (float) (total == 0 ? 0 : w[k] / total);
                }
                start[i] = min;
                count[i] = n;
            }
            return new Weights(taps, start, count, weights);
        }
    }
}
