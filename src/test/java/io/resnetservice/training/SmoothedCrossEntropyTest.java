package io.resnetservice.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.loss.Loss;
import org.junit.jupiter.api.Test;

class SmoothedCrossEntropyTest {

    private static final float[] LOGITS = {2.0f, -1.0f, 0.5f, 0.0f, 3.0f, 1.0f};
    private static final float[] LABELS = {0, 2};

    @Test
    void withoutSmoothingItIsDjlsSoftmaxCrossEntropy() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDList logits = new NDList(m.create(LOGITS, new Shape(2, 3)));
            NDList labels = new NDList(m.create(LABELS));
            float ours = new SmoothedCrossEntropy(0, 3).evaluate(labels, logits).getFloat();
            float djl = Loss.softmaxCrossEntropyLoss().evaluate(labels, logits).getFloat();
            assertEquals(djl, ours, 1e-6);
        }
    }

    @Test
    void smoothingMixesTheTrueClassWithTheUniformTarget() {
        float smoothing = 0.1f;
        double expected = 0;
        for (int row = 0; row < 2; row++) {
            double max = Math.max(LOGITS[row * 3], Math.max(LOGITS[row * 3 + 1], LOGITS[row * 3 + 2]));
            double sum = 0;
            for (int c = 0; c < 3; c++) {
                sum += Math.exp(LOGITS[row * 3 + c] - max);
            }
            for (int c = 0; c < 3; c++) {
                double logP = LOGITS[row * 3 + c] - max - Math.log(sum);
                double target = (c == (int) LABELS[row] ? 1 - smoothing : 0) + smoothing / 3;
                expected -= target * logP;
            }
        }
        expected /= 2;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray loss = new SmoothedCrossEntropy(smoothing, 3)
                    .evaluate(new NDList(m.create(LABELS)), new NDList(m.create(LOGITS, new Shape(2, 3))));
            assertEquals(expected, loss.getFloat(), 1e-5);
        }
    }

    @Test
    void rejectsASmoothingOutsideZeroToOne() {
        assertThrows(IllegalArgumentException.class, () -> new SmoothedCrossEntropy(1f, 10));
        assertThrows(IllegalArgumentException.class, () -> new SmoothedCrossEntropy(-0.1f, 10));
    }
}
