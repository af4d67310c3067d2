package io.resnetservice.runtime;

import java.util.Arrays;

/**
 * What a model answers for a batch: each image's softmax probabilities (calibrated, where the model
 * folder declares a temperature) and, for a model with fitted out-of-distribution statistics, each
 * image's score against them ({@code oodScores} is null otherwise).
 */
public record Outputs(float[][] probabilities, float[] oodScores) {

    public int size() {
        return probabilities.length;
    }

    /** Rows {@code from} to {@code from + count} of the batch. */
    public Outputs rows(int from, int count) {
        return new Outputs(Arrays.copyOfRange(probabilities, from, from + count),
                oodScores == null ? null : Arrays.copyOfRange(oodScores, from, from + count));
    }
}
