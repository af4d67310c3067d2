package io.resnetservice.preprocess;

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

        double weight(double t) {
            return this == BILINEAR ? (t < 1 ? 1 - t : 0) : (t < 0.5 ? 1 : 0);
        }
    }

    private Resampler() {}

    /** Resizes one plane of {@code inW x inH} floats to {@code outW x outH} with the bilinear kernel. */
    public static float[] resize(float[] in, int inW, int inH, int outW, int outH) {
        return resize(in, inW, inH, outW, outH, Filter.BILINEAR);
    }

    /** Resizes one plane of {@code inW x inH} floats to {@code outW x outH}. */
    public static float[] resize(float[] in, int inW, int inH, int outW, int outH, Filter filter) {
        if (inW == outW && inH == outH) {
            return in.clone();
        }
        float[] horizontal = new float[outW * inH];
        Weights wx = Weights.of(inW, outW, filter);
        for (int y = 0; y < inH; y++) {
            int row = y * inW;
            for (int x = 0; x < outW; x++) {
                int start = wx.start[x];
                int base = x * wx.taps;
                float sum = 0;
                for (int k = 0; k < wx.count[x]; k++) {
                    sum += in[row + start + k] * wx.weights[base + k];
                }
                horizontal[y * outW + x] = sum;
            }
        }
        float[] out = new float[outW * outH];
        Weights wy = Weights.of(inH, outH, filter);
        for (int y = 0; y < outH; y++) {
            int start = wy.start[y];
            int base = y * wy.taps;
            for (int x = 0; x < outW; x++) {
                float sum = 0;
                for (int k = 0; k < wy.count[y]; k++) {
                    sum += horizontal[(start + k) * outW + x] * wy.weights[base + k];
                }
                out[y * outW + x] = sum;
            }
        }
        return out;
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
                    w[k] = filter.weight(Math.abs((k + min - center + 0.5) / filterScale));
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
