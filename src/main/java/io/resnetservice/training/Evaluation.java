package io.resnetservice.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;

/** Inference-mode passes over a split: BatchNorm uses its running statistics, no gradients are kept. */
public final class Evaluation {

    private Evaluation() {}

    /** Logits for every image of the split, {@code count x classes}. */
    public static float[][] logits(Block net, NDManager parent, FashionMnist.Prepared split, int batch) {
        int pixels = split.tensorSize();
        float[][] result = new float[split.count()][];
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (int start = 0; start < split.count(); start += batch) {
                int n = Math.min(batch, split.count() - start);
                float[] x = java.util.Arrays.copyOfRange(split.tensors(), start * pixels, (start + n) * pixels);
                try (NDManager m = parent.newSubManager()) {
                    NDArray input = m.create(x, new Shape(n, split.channels(), split.size(), split.size()));
                    NDArray out = net.forward(new ParameterStore(m, false), new NDList(input), false).singletonOrThrow();
                    float[] flat = out.toFloatArray();
                    int classes = flat.length / n;
                    for (int i = 0; i < n; i++) {
                        result[start + i] = java.util.Arrays.copyOfRange(flat, i * classes, (i + 1) * classes);
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        return result;
    }

    public static double accuracy(Block net, NDManager parent, FashionMnist.Prepared split, int batch) {
        float[][] logits = logits(net, parent, split, batch);
        long correct = 0;
        for (int i = 0; i < logits.length; i++) {
            if (argmax(logits[i]) == split.label(i)) {
                correct++;
            }
        }
        return (double) correct / split.count();
    }

    static long correct(float[] logits, float[] labels, int classes) {
        long correct = 0;
        for (int i = 0; i < labels.length; i++) {
            if (argmax(logits, i * classes, classes) == (int) labels[i]) {
                correct++;
            }
        }
        return correct;
    }

    public static int argmax(float[] v) {
        return argmax(v, 0, v.length);
    }

    static int argmax(float[] v, int offset, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) {
            if (v[offset + i] > v[offset + best]) {
                best = i;
            }
        }
        return best;
    }
}
