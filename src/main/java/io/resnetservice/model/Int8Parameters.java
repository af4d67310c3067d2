package io.resnetservice.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What post-training static quantization adds to a ResNet: an affine 8-bit encoding ({@code scale},
 * {@code zeroPoint}) for each activation the int8 network passes between layers, and a symmetric
 * per-output-channel scale for each convolution's weights (zero point 0). Kept in a model folder as an
 * .npz file beside the float weights, which it quantizes when the model loads.
 *
 * <p>Order is the network's, with BatchNorm folded into the convolutions: activations are the
 * input, the stem's output, then per residual block each branch convolution's output, the projection's
 * output where the block has one, and the block's output; convolutions are the stem, then per block the
 * branch convolutions and the projection.
 */
public record Int8Parameters(List<Affine> activations, List<float[]> weightScales) {

    /** {@code real = scale * (q - zeroPoint)}, q an unsigned 8-bit code in {@code [0, quantMax]}. */
    public record Affine(double scale, int zeroPoint) {
        public Affine {
            if (!(scale > 0) || Double.isInfinite(scale)) {
                throw new IllegalArgumentException("an activation scale must be a positive number, was " + scale);
            }
            if (zeroPoint < 0 || zeroPoint > 255) {
                throw new IllegalArgumentException("an activation zero point must lie in [0, 255], was " + zeroPoint);
            }
        }

        /** The encoding of {@code [min, max]} (widened to hold 0) onto {@code [0, quantMax]}. */
        public static Affine of(double min, double max, int quantMax) {
            double lo = Math.min(min, 0);
            double hi = Math.max(max, 0);
            double scale = Math.max((hi - lo) / quantMax, 1e-8);
            int zeroPoint = (int) Math.max(0, Math.min(quantMax, Math.round(-lo / scale)));
            return new Affine(scale, zeroPoint);
        }
    }

    public Int8Parameters {
        activations = List.copyOf(activations);
        weightScales = List.copyOf(weightScales);
        for (float[] scales : weightScales) {
            for (float s : scales) {
                if (!(s > 0) || Float.isInfinite(s)) {
                    throw new IllegalArgumentException("a weight scale must be a positive number, was " + s);
                }
            }
        }
    }

    /**
     * Checks that these parameters belong to a network with {@code activationCount} quantized activations
     * and convolutions of {@code outChannels} output channels, in order.
     */
    public void requireShape(int activationCount, List<Long> outChannels) {
        if (activations.size() != activationCount) {
            throw new IllegalArgumentException("holds " + activations.size() + " activation encodings, the network has "
                    + activationCount);
        }
        if (weightScales.size() != outChannels.size()) {
            throw new IllegalArgumentException("holds weight scales for " + weightScales.size()
                    + " convolutions, the network has " + outChannels.size());
        }
        for (int i = 0; i < outChannels.size(); i++) {
            if (weightScales.get(i).length != outChannels.get(i)) {
                throw new IllegalArgumentException("convolution " + i + " has " + outChannels.get(i)
                        + " output channels, its weight scales " + weightScales.get(i).length);
            }
        }
    }

    public void write(OutputStream out) throws IOException {
        Map<String, Npz.Array> arrays = new LinkedHashMap<>();
        float[] scales = new float[activations.size()];
        float[] zeroPoints = new float[activations.size()];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = (float) activations.get(i).scale();
            zeroPoints[i] = activations.get(i).zeroPoint();
        }
        arrays.put("activation_scale", new Npz.Array(new long[] {scales.length}, scales));
        arrays.put("activation_zero_point", new Npz.Array(new long[] {zeroPoints.length}, zeroPoints));
        for (int i = 0; i < weightScales.size(); i++) {
            float[] s = weightScales.get(i);
            arrays.put(weightKey(i), new Npz.Array(new long[] {s.length}, s));
        }
        Npz.write(out, arrays);
    }

    /** Reads what {@link #write} wrote; a missing or malformed array is an {@link IOException} naming it. */
    public static Int8Parameters read(InputStream in) throws IOException {
        Map<String, Npz.Array> arrays = Npz.read(in);
        float[] scales = vector(arrays, "activation_scale");
        float[] zeroPoints = vector(arrays, "activation_zero_point");
        if (scales.length != zeroPoints.length) {
            throw new IOException("activation_scale has " + scales.length + " values, activation_zero_point "
                    + zeroPoints.length);
        }
        List<Affine> activations = new ArrayList<>();
        for (int i = 0; i < scales.length; i++) {
            if (zeroPoints[i] != Math.rint(zeroPoints[i])) {
                throw new IOException("activation_zero_point[" + i + "] is not an integer: " + zeroPoints[i]);
            }
            try {
                activations.add(new Affine(scales[i], (int) zeroPoints[i]));
            } catch (IllegalArgumentException e) {
                throw new IOException("activation " + i + ": " + e.getMessage(), e);
            }
        }
        List<float[]> weightScales = new ArrayList<>();
        for (int i = 0; arrays.containsKey(weightKey(i)); i++) {
            weightScales.add(vector(arrays, weightKey(i)));
        }
        if (weightScales.size() + 2 != arrays.size()) {
            throw new IOException("unexpected arrays: " + arrays.keySet());
        }
        try {
            return new Int8Parameters(activations, weightScales);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static String weightKey(int conv) {
        return "weight_scale_" + conv;
    }

    private static float[] vector(Map<String, Npz.Array> arrays, String key) throws IOException {
        Npz.Array array = arrays.get(key);
        if (array == null) {
            throw new IOException("no array " + key);
        }
        if (array.shape().length != 1) {
            throw new IOException(key + " must be a vector, has shape " + array.shapeText());
        }
        return array.data();
    }
}
