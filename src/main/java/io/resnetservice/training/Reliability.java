package io.resnetservice.training;

import java.util.Arrays;

/** How far a model's scores can be trusted: temperature fitting, calibration error, separation of sets. */
public final class Reliability {

    private Reliability() {}

    /** Mean negative log-likelihood of the true classes under {@code softmax(logits / temperature)}. */
    /** Cosine similarity of two vectors of the same length. */
    public static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    public static double nll(float[][] logits, int[] labels, double temperature) {
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (float v : logits[i]) {
                max = Math.max(max, v / temperature);
            }
            double sum = 0;
            for (float v : logits[i]) {
                sum += Math.exp(v / temperature - max);
            }
            total += max + Math.log(sum) - logits[i][labels[i]] / temperature;
        }
        return total / logits.length;
    }

    /** The temperature that minimises {@link #nll} (golden-section search on its logarithm, 0.05 to 20). */
    public static double fitTemperature(float[][] logits, int[] labels) {
        double a = Math.log(0.05);
        double b = Math.log(20);
        double phi = (Math.sqrt(5) - 1) / 2;
        double c = b - phi * (b - a);
        double d = a + phi * (b - a);
        double fc = nll(logits, labels, Math.exp(c));
        double fd = nll(logits, labels, Math.exp(d));
        while (b - a > 1e-5) {
            if (fc < fd) {
                b = d;
                d = c;
                fd = fc;
                c = b - phi * (b - a);
                fc = nll(logits, labels, Math.exp(c));
            } else {
                a = c;
                c = d;
                fc = fd;
                d = a + phi * (b - a);
                fd = nll(logits, labels, Math.exp(d));
            }
        }
        return Math.exp((a + b) / 2);
    }

    /**
     * Expected calibration error: the confidence (top probability) of each image binned into {@code bins}
     * equal widths, and the gap between each bin's accuracy and mean confidence, weighted by its share.
     */
    public static double expectedCalibrationError(float[][] probabilities, int[] labels, int bins) {
        double[] confidence = new double[bins];
        double[] correct = new double[bins];
        int[] count = new int[bins];
        for (int i = 0; i < probabilities.length; i++) {
            int top = Evaluation.argmax(probabilities[i]);
            double p = probabilities[i][top];
            int bin = Math.min(bins - 1, (int) (p * bins));
            confidence[bin] += p;
            correct[bin] += top == labels[i] ? 1 : 0;
            count[bin]++;
        }
        double error = 0;
        for (int b = 0; b < bins; b++) {
            if (count[b] > 0) {
                error += Math.abs(correct[b] - confidence[b]) / probabilities.length;
            }
        }
        return error;
    }

    /**
     * The probability that an image of {@code outside} scores higher than one of {@code inside} (ties
     * count half): 1 separates the sets perfectly, 0.5 is chance. Higher scores mean "more unlike".
     */
    public static double auroc(float[] inside, float[] outside) {
        float[] sorted = inside.clone();
        Arrays.sort(sorted);
        double wins = 0;
        for (float o : outside) {
            int below = lowerBound(sorted, o);
            int notAbove = upperBound(sorted, o);
            wins += below + 0.5 * (notAbove - below);
        }
        return wins / ((double) inside.length * outside.length);
    }

    /** The share of {@code scores} at or below {@code threshold}. */
    public static double passRate(float[] scores, double threshold) {
        int pass = 0;
        for (float s : scores) {
            if (s <= threshold) {
                pass++;
            }
        }
        return (double) pass / scores.length;
    }

    /** The {@code q}-quantile of {@code values} (nearest rank). */
    public static double quantile(float[] values, double q) {
        float[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
    }

    private static int lowerBound(float[] a, float v) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static int upperBound(float[] a, float v) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] <= v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
