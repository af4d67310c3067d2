package io.resnetservice.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FeatureGaussiansTest {

    static final int DIM = 6;
    static final int CLASSES = 3;

    /** Rows drawn around three class means with correlated noise. */
    static float[] sample(int[] labels, Random random) {
        float[] rows = new float[labels.length * DIM];
        for (int n = 0; n < labels.length; n++) {
            labels[n] = n % CLASSES;
            double shared = random.nextGaussian();
            for (int i = 0; i < DIM; i++) {
                rows[n * DIM + i] = (float) (10 * labels[n] * (i % 2 == 0 ? 1 : -1) + shared * (i + 1) + random.nextGaussian());
            }
        }
        return rows;
    }

    @Test
    void theInverseOfASymmetricMatrixIsItsInverse() {
        Random random = new Random(1);
        int n = 20;
        double[] b = new double[n * n];
        for (int i = 0; i < b.length; i++) {
            b[i] = random.nextGaussian();
        }
        double[] a = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < n; k++) {
                    a[i * n + j] += b[i * n + k] * b[j * n + k];
                }
                a[i * n + j] += i == j ? 1 : 0;
            }
        }
        float[] inverse = FeatureGaussians.invertSymmetric(a, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double v = 0;
                for (int k = 0; k < n; k++) {
                    v += a[i * n + k] * inverse[k * n + j];
                }
                assertEquals(i == j ? 1 : 0, v, 1e-4, "(A A^-1)[" + i + "][" + j + "]");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> FeatureGaussians.invertSymmetric(new double[] {1, 2, 2, 1}, 2));
    }

    @Test
    void theScoreIsTheMahalanobisDistanceToTheNearestClassMean() {
        int[] labels = new int[3000];
        float[] rows = sample(labels, new Random(2));
        FeatureGaussians g = FeatureGaussians.fit(rows, DIM, labels, CLASSES, 0);
        // Brute force: sqrt(min_c (f - mu_c)' P (f - mu_c)) from the fitted means and precision.
        float[] means = new float[CLASSES * DIM];
        int[] counts = new int[CLASSES];
        for (int n = 0; n < labels.length; n++) {
            counts[labels[n]]++;
            for (int i = 0; i < DIM; i++) {
                means[labels[n] * DIM + i] += rows[n * DIM + i];
            }
        }
        for (int c = 0; c < CLASSES; c++) {
            for (int i = 0; i < DIM; i++) {
                means[c * DIM + i] /= counts[c];
            }
        }
        double[] cov = new double[DIM * DIM];
        for (int n = 0; n < labels.length; n++) {
            for (int i = 0; i < DIM; i++) {
                for (int j = 0; j < DIM; j++) {
                    cov[i * DIM + j] += (rows[n * DIM + i] - means[labels[n] * DIM + i])
                            * (rows[n * DIM + j] - means[labels[n] * DIM + j]) / labels.length;
                }
            }
        }
        float[] precision = FeatureGaussians.invertSymmetric(cov, DIM);
        float[] probe = {3, -1, 12, -9, 0.5f, 7};
        double nearest = Double.POSITIVE_INFINITY;
        for (int c = 0; c < CLASSES; c++) {
            double d = 0;
            for (int i = 0; i < DIM; i++) {
                for (int j = 0; j < DIM; j++) {
                    d += (probe[i] - means[c * DIM + i]) * precision[i * DIM + j] * (probe[j] - means[c * DIM + j]);
                }
            }
            nearest = Math.min(nearest, d);
        }
        assertEquals(Math.sqrt(nearest), g.score(probe, 0), 1e-3 * Math.sqrt(nearest));
        assertEquals(0, g.score(means, DIM), 1e-2, "a class mean is at distance 0");
    }

    @Test
    void pointsFarFromEveryClassScoreHigherThanTheTrainingPoints() {
        int[] labels = new int[3000];
        float[] rows = sample(labels, new Random(3));
        FeatureGaussians g = FeatureGaussians.fit(rows, DIM, labels, CLASSES, 0.01);
        int[] heldLabels = new int[300];
        float[] held = sample(heldLabels, new Random(4));
        double worstInside = 0;
        for (int n = 0; n < heldLabels.length; n++) {
            worstInside = Math.max(worstInside, g.score(held, n * DIM));
        }
        float[] far = {5, 5, 5, 5, 5, 5};
        assertTrue(g.score(far, 0) > worstInside, g.score(far, 0) + " vs at most " + worstInside + " inside");
    }

    @Test
    void statisticsRoundTripThroughAnNpzFile() throws IOException {
        int[] labels = new int[600];
        float[] rows = sample(labels, new Random(5));
        FeatureGaussians g = FeatureGaussians.fit(rows, DIM, labels, CLASSES, 0.01);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        g.write(out);
        FeatureGaussians back = FeatureGaussians.read(new ByteArrayInputStream(out.toByteArray()));
        assertEquals(CLASSES, back.classes());
        assertEquals(DIM, back.dim());
        for (int n = 0; n < 50; n++) {
            assertEquals(g.score(rows, n * DIM), back.score(rows, n * DIM), 0);
        }
        byte[] cut = java.util.Arrays.copyOf(out.toByteArray(), out.size() / 2);
        assertThrows(IOException.class, () -> FeatureGaussians.read(new ByteArrayInputStream(cut)));
    }
}
