package io.resnetservice.runtime;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.resnetservice.model.Int8Parameters;
import io.resnetservice.model.ResNet;

/**
 * A network ready for inference: maps an input batch to logits on the device it was built for. Chosen
 * once per model by {@link #of}; each execution (DJL's blocks, the folded network, fused oneDNN) is one
 * implementation. The caller owns the input's manager; the outputs belong to it too.
 */
public interface Forward extends AutoCloseable {

    /**
     * Logits for {@code input} ({@code batch x C x H x W}); built with features, each row continues with
     * the network's penultimate features (after global pooling, before {@code fc}).
     */
    NDArray forward(NDArray input);

    /** How it runs: {@code onednn}, {@code folded} (channels-last), {@code folded-nchw} or {@code blocks}. */
    String name();

    @Override
    void close();

    /**
     * The fastest execution {@code settings} allow for {@code block} on {@code manager}'s device: fused
     * oneDNN on a CPU, else the folded network, else the blocks as built (a network {@link FoldedResNet}
     * does not recognise, such as a TorchScript module, always runs as built).
     */
    static Forward of(Block block, NDManager manager, Execution settings) {
        return of(block, manager, settings, false);
    }

    /**
     * As {@link #of(Block, NDManager, Execution)}, with the penultimate features after the logits when
     * {@code features} is set: only our {@link ResNet}s have them.
     */
    static Forward of(Block block, NDManager manager, Execution settings, boolean features) {
        if (features && !(block instanceof ResNet)) {
            throw new IllegalArgumentException("only this project's ResNets expose their penultimate features");
        }
        boolean oneDnn = settings.foldBatchNorm() && settings.fusedOneDnn()
                && Device.Type.CPU.equals(manager.getDevice().getDeviceType());
        FoldedResNet folded = settings.foldBatchNorm()
                ? FoldedResNet.compile(block, manager, settings.channelsLast() && !oneDnn, features).orElse(null)
                : null;
        if (folded == null) {
            return new BlockForward(block, features);
        }
        if (!oneDnn) {
            return folded;
        }
        // The module holds its own references to the (prepacked) weights.
        try (folded) {
            return OneDnnResNet.compile(folded, manager);
        }
    }

    /**
     * {@code block} run in 8-bit integers with {@code parameters} ({@link Int8ResNet}), on a CPU.
     *
     * @throws IllegalArgumentException when {@code block} is not one of our ResNets or the parameters do not fit it
     */
    static Forward int8(Block block, NDManager manager, Int8Parameters parameters, boolean features) {
        if (!Device.Type.CPU.equals(manager.getDevice().getDeviceType())) {
            throw new IllegalArgumentException("int8 models run on the CPU only (libtorch's quantized operators)");
        }
        try (FoldedResNet folded = FoldedResNet.compile(block, manager, false, features)
                .orElseThrow(() -> new IllegalArgumentException("only this project's ResNets can run in int8"))) {
            return Int8ResNet.compile(folded, parameters, manager);
        }
    }

    /**
     * {@code block} with its convolutions in bfloat16 ({@link OneDnnResNet} in bf16), on a CPU that {@code cpu}
     * says has bfloat16 instructions.
     *
     * @throws IllegalArgumentException on another device, another CPU or a network that is not one of our ResNets
     */
    static Forward bf16(Block block, NDManager manager, CpuFeatures cpu, boolean features) {
        if (!Device.Type.CPU.equals(manager.getDevice().getDeviceType())) {
            throw new IllegalArgumentException("precision bf16 runs on the CPU only (oneDNN's bfloat16 kernels)");
        }
        if (!cpu.bf16()) {
            throw new IllegalArgumentException("precision bf16 needs a CPU with AVX512-BF16 or AMX (its flags have"
                    + " neither avx512_bf16 nor amx_bf16); serve this model in fp32, or quantize it to int8");
        }
        try (FoldedResNet folded = FoldedResNet.compile(block, manager, false, features)
                .orElseThrow(() -> new IllegalArgumentException("only this project's ResNets can run in bf16"))) {
            return OneDnnResNet.compile(folded, manager, true);
        }
    }
}
