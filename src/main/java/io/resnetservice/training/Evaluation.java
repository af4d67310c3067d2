package io.resnetservice.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import io.resnetservice.runtime.Execution;
import io.resnetservice.runtime.Forward;
import io.resnetservice.runtime.LoadedModel;
import java.util.Arrays;
import java.util.function.UnaryOperator;

/** Inference-mode passes over a split: BatchNorm uses its running statistics, no gradients are kept. */
public final class Evaluation {

    private Evaluation() {}

    /** Logits for every image of the split, {@code count x classes}. */
    public static float[][] logits(Block net, NDManager parent, FashionMnist.Prepared split, int batch) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return run(split, batch, parent, input -> net.forward(
                    new ParameterStore(input.getManager(), false), new NDList(input), false).singletonOrThrow());
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /**
     * Logits as the service computes them ({@link Forward#of} with the default execution: on a CPU,
     * BatchNorm folded and fused oneDNN convolutions), so the training run's per-epoch test pass costs
     * seconds. Equal to {@link #logits} within float rounding.
     */
    public static float[][] fusedLogits(Block net, NDManager parent, FashionMnist.Prepared split, int batch) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager manager = parent.newSubManager(); Forward forward = Forward.of(net, manager, Execution.DEFAULT)) {
            return run(split, batch, manager, forward::forward);
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /** Logits for every image of the split from a loaded model, however it executes. */
    public static float[][] logits(LoadedModel model, FashionMnist.Prepared split, int batch) {
        int pixels = split.tensorSize();
        float[][] result = new float[split.count()][];
        for (int start = 0; start < split.count(); start += batch) {
            int n = Math.min(batch, split.count() - start);
            float[][] rows = model.logits(Arrays.copyOfRange(split.tensors(), start * pixels, (start + n) * pixels), n);
            System.arraycopy(rows, 0, result, start, n);
        }
        return result;
    }

    private static float[][] run(FashionMnist.Prepared split, int batch, NDManager parent,
            UnaryOperator<NDArray> forward) {
        int pixels = split.tensorSize();
        float[][] result = new float[split.count()][];
        for (int start = 0; start < split.count(); start += batch) {
            int n = Math.min(batch, split.count() - start);
            float[] x = Arrays.copyOfRange(split.tensors(), start * pixels, (start + n) * pixels);
            try (NDManager m = parent.newSubManager()) {
                NDArray input = m.create(x, new Shape(n, split.channels(), split.size(), split.size()));
                float[] flat = forward.apply(input).toFloatArray();
                int classes = flat.length / n;
                for (int i = 0; i < n; i++) {
                    result[start + i] = Arrays.copyOfRange(flat, i * classes, (i + 1) * classes);
                }
            }
        }
        return result;
    }

    public static double accuracy(float[][] logits, FashionMnist.Prepared split) {
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
