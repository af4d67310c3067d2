package io.resnetservice.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * A Gaussian per class over a network's penultimate features, all sharing one covariance (Lee et al.,
 * 2018): an image's out-of-distribution score is its Mahalanobis distance to the nearest class mean.
 * Images like the training set's lie near one of the means; photographs, letters or noise lie far
 * from all of them, even where the softmax is confident.
 */
public final class FeatureGaussians {

    private final int classes;
    private final int dim;
    private final float[] means;
    private final float[] precision;
    /** {@code P mu_c} per class and {@code mu_c' P mu_c}: a score is one {@code P f} plus a dot product per class. */
    private final float[] precisionMeans;
    private final double[] meanTerms;

    public FeatureGaussians(int classes, int dim, float[] means, float[] precision) {
        if (means.length != classes * dim || precision.length != dim * dim) {
            throw new IllegalArgumentException("means need " + classes + "x" + dim + " values and the precision "
                    + dim + "x" + dim + ", found " + means.length + " and " + precision.length);
        }
        this.classes = classes;
        this.dim = dim;
        this.means = means;
        this.precision = precision;
        this.precisionMeans = new float[classes * dim];
        this.meanTerms = new double[classes];
        for (int c = 0; c < classes; c++) {
            double term = 0;
            for (int i = 0; i < dim; i++) {
                double v = 0;
                for (int j = 0; j < dim; j++) {
                    v += (double) precision[i * dim + j] * means[c * dim + j];
                }
                precisionMeans[c * dim + i] = (float) v;
                term += v * means[c * dim + i];
            }
            meanTerms[c] = term;
        }
    }

    public int classes() {
        return classes;
    }

    public int dim() {
        return dim;
    }

    /** The Mahalanobis distance from the {@code dim} features at {@code offset} to the nearest class mean. */
    public double score(float[] features, int offset) {
        double quadratic = 0;
        for (int i = 0; i < dim; i++) {
            double v = 0;
            int row = i * dim;
            for (int j = 0; j < dim; j++) {
                v += precision[row + j] * features[offset + j];
            }
            quadratic += v * features[offset + i];
        }
        double nearest = Double.POSITIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            double cross = 0;
            for (int i = 0; i < dim; i++) {
                cross += precisionMeans[c * dim + i] * features[offset + i];
            }
            nearest = Math.min(nearest, quadratic - 2 * cross + meanTerms[c]);
        }
        return Math.sqrt(Math.max(0, nearest));
    }

    /**
     * Fits class means and their shared covariance to {@code count} feature rows ({@code dim} each, end to
     * end) of known {@code labels}. The covariance is shrunk towards its mean variance by {@code shrinkage}
     * (0-1) before it is inverted, so that directions the training set never varied in do not dominate.
     */
    public static FeatureGaussians fit(float[] features, int dim, int[] labels, int classes, double shrinkage) {
        int count = labels.length;
        double[] sums = new double[classes * dim];
        int[] counts = new int[classes];
        for (int n = 0; n < count; n++) {
            counts[labels[n]]++;
            for (int i = 0; i < dim; i++) {
                sums[labels[n] * dim + i] += features[n * dim + i];
            }
        }
        float[] means = new float[classes * dim];
        for (int c = 0; c < classes; c++) {
            if (counts[c] == 0) {
                throw new IllegalArgumentException("no feature rows of class " + c);
            }
            for (int i = 0; i < dim; i++) {
                means[c * dim + i] = (float) (sums[c * dim + i] / counts[c]);
            }
        }
        double[] covariance = new double[dim * dim];
        IntStream.range(0, dim).parallel().forEach(i -> {
            for (int n = 0; n < count; n++) {
                double a = features[n * dim + i] - means[labels[n] * dim + i];
                int base = n * dim;
                int mean = labels[n] * dim;
                for (int j = 0; j <= i; j++) {
                    covariance[i * dim + j] += a * (features[base + j] - means[mean + j]);
                }
            }
        });
        double trace = 0;
        for (int i = 0; i < dim; i++) {
            for (int j = 0; j <= i; j++) {
                covariance[i * dim + j] /= count;
                covariance[j * dim + i] = covariance[i * dim + j];
            }
            trace += covariance[i * dim + i];
        }
        double average = trace / dim;
        for (int i = 0; i < dim; i++) {
            for (int j = 0; j < dim; j++) {
                covariance[i * dim + j] = (1 - shrinkage) * covariance[i * dim + j] + (i == j ? shrinkage * average : 0);
            }
        }
        return new FeatureGaussians(classes, dim, means, invertSymmetric(covariance, dim));
    }

    /** The inverse of a symmetric positive definite matrix, through its Cholesky factor. */
    static float[] invertSymmetric(double[] a, int n) {
        double[] l = new double[n * n];
        for (int j = 0; j < n; j++) {
            double d = a[j * n + j];
            for (int k = 0; k < j; k++) {
                d -= l[j * n + k] * l[j * n + k];
            }
            if (d <= 0) {
                throw new IllegalArgumentException("the covariance is not positive definite");
            }
            l[j * n + j] = Math.sqrt(d);
            for (int i = j + 1; i < n; i++) {
                double v = a[i * n + j];
                for (int k = 0; k < j; k++) {
                    v -= l[i * n + k] * l[j * n + k];
                }
                l[i * n + j] = v / l[j * n + j];
            }
        }
        // L^-1 column by column, then A^-1 = L^-T L^-1.
        double[] li = new double[n * n];
        for (int c = 0; c < n; c++) {
            for (int i = c; i < n; i++) {
                double v = i == c ? 1 : 0;
                for (int k = c; k < i; k++) {
                    v -= l[i * n + k] * li[k * n + c];
                }
                li[i * n + c] = v / l[i * n + i];
            }
        }
        float[] inverse = new float[n * n];
        IntStream.range(0, n).parallel().forEach(i -> {
            for (int j = 0; j <= i; j++) {
                double v = 0;
                for (int k = i; k < n; k++) {
                    v += li[k * n + i] * li[k * n + j];
                }
                inverse[i * n + j] = (float) v;
                inverse[j * n + i] = (float) v;
            }
        });
        return inverse;
    }

    public static FeatureGaussians read(InputStream in) throws IOException {
        Map<String, Npz.Array> arrays = Npz.read(in);
        Npz.Array means = arrays.get("means");
        Npz.Array precision = arrays.get("precision");
        if (means == null || precision == null || means.shape().length != 2 || precision.shape().length != 2
                || precision.shape()[0] != means.shape()[1] || precision.shape()[1] != means.shape()[1]) {
            throw new IOException("expected arrays \"means\" [classes, dim] and \"precision\" [dim, dim]");
        }
        return new FeatureGaussians((int) means.shape()[0], (int) means.shape()[1], means.data(), precision.data());
    }

    public void write(OutputStream out) throws IOException {
        Map<String, Npz.Array> arrays = new LinkedHashMap<>();
        arrays.put("means", new Npz.Array(new long[] {classes, dim}, means));
        arrays.put("precision", new Npz.Array(new long[] {dim, dim}, precision));
        Npz.write(out, arrays);
    }
}
