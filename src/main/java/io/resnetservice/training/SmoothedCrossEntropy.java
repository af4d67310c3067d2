package io.resnetservice.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.loss.Loss;

/**
 * Softmax cross-entropy against labels smoothed towards the uniform distribution (Szegedy et al., 2016):
 * the true class gets {@code 1 - smoothing + smoothing / classes}, every other class {@code smoothing / classes}.
 * Fashion-MNIST's shirts, T-shirts and pullovers overlap, and some test labels are arguable; a target
 * short of certainty keeps the network from pushing its logits apart without end on those.
 * With {@code smoothing = 0} this is DJL's softmax cross-entropy.
 */
final class SmoothedCrossEntropy extends Loss {

    private final float smoothing;
    private final int classes;

    SmoothedCrossEntropy(float smoothing, int classes) {
        super("SmoothedSoftmaxCrossEntropy");
        if (smoothing < 0 || smoothing >= 1) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1): " + smoothing);
        }
        this.smoothing = smoothing;
        this.classes = classes;
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray logProbabilities = predictions.singletonOrThrow().logSoftmax(1);
        NDArray target = labels.singletonOrThrow().toType(DataType.INT32, false).oneHot(classes)
                .mul(1 - smoothing).add(smoothing / classes);
        return logProbabilities.mul(target).sum(new int[] {1}).neg().mean();
    }
}
