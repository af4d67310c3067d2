package io.resnetservice.runtime;

/**
 * How forward passes execute, bound from {@code resnet.execution.*}.
 *
 * @param foldBatchNorm run the network compiled by {@link FoldedResNet} (BatchNorm folded into the
 *     convolutions, intermediates freed at once) instead of DJL's block-by-block forward
 * @param channelsLast keep the folded network's activations and kxk weights in NHWC order
 * @param fusedOneDnn on a CPU, run the folded network as {@link OneDnnResNet}: one oneDNN call per
 *     convolution on activations kept in oneDNN's blocked layout, weights reordered once at load
 */
public record Execution(boolean foldBatchNorm, boolean channelsLast, boolean fusedOneDnn) {
    public static final Execution DEFAULT = new Execution(true, true, true);
    public static final Execution FOLDED = new Execution(true, true, false);
    public static final Execution BLOCKS = new Execution(false, false, false);
}
