package io.resnetservice.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import io.resnetservice.model.Layers;
import io.resnetservice.model.ResNet;
import io.resnetservice.model.ResidualBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A {@link ResNet} compiled for inference, as frozen
 * TorchScript does it: every BatchNorm folded into the convolution before it (a convolution with a
 * bias, so a third of the network's operations and their memory traffic disappear), and every
 * intermediate tensor freed as soon as the next operation has read it. Running op by op through
 * DJL's blocks keeps all of a forward pass's activations alive until its NDManager closes, which at
 * batch 16 and 224x224 is hundreds of megabytes allocated and page-faulted anew on every pass.
 *
 * <p>With {@code channelsLast}, activations and the weights of the kxk convolutions are kept in NHWC
 * memory order, which oneDNN convolves directly: in NCHW order libtorch reorders every convolution's
 * input to oneDNN's blocked layout and its output back (see docs/benchmarks.md for what that cost).
 * The 1x1 convolutions read NCHW: libtorch 2.7.1's oneDNN picks its brgemm 1x1 kernel for NHWC input,
 * and that kernel dies with SIGFPE (in {@code brg_blocking_t::est_eff_1x1}) on VMs whose CPUID reports
 * zero-size caches, killing the JVM.
 *
 * <p>Outputs equal the unfolded network's within float rounding (tested to 1e-4 relative).
 */
public final class FoldedResNet implements Forward {

    private static final Shape NO_DILATION = new Shape(1, 1);

    /**
     * A convolution with its BatchNorm folded in, optionally followed by ReLU. {@code nchwInput}: the
     * input is made NCHW-contiguous first (the 1x1 convolutions in channels-last mode).
     */
    record Conv(NDArray weight, NDArray bias, Shape stride, Shape padding, boolean relu, boolean nchwInput) {
        NDArray apply(NDArray x) {
            NDArray in = nchwInput ? contiguous(x) : x;
            NDArray y = Conv2d.conv2d(in, weight, bias, stride, padding, NO_DILATION, 1).singletonOrThrow();
            if (in != x) {
                in.close();
            }
            if (!relu) {
                return y;
            }
            NDArray activated = Activation.relu(y);
            y.close();
            return activated;
        }
    }

    /** {@code relu(branch(x) + shortcut(x))}, the shortcut being the identity when {@code projection} is null. */
    record Residual(List<Conv> branch, Conv projection) {}

    private final NDManager weights;
    private final boolean channelsLast;
    private final Conv stem;
    private final List<Residual> blocks;
    private final NDArray fcWeight;
    private final NDArray fcBias;
    private final boolean features;

    private FoldedResNet(NDManager weights, boolean channelsLast, Conv stem, List<Residual> blocks,
            NDArray fcWeight, NDArray fcBias, boolean features) {
        this.features = features;
        this.weights = weights;
        this.channelsLast = channelsLast;
        this.stem = stem;
        this.blocks = blocks;
        this.fcWeight = fcWeight;
        this.fcBias = fcBias;
    }

    /**
     * Folds {@code net}'s parameters into new arrays under {@code parent}, or returns empty when
     * {@code net} is not a {@link ResNet} (a TorchScript module, say) or holds layers it does not know.
     */
    public static Optional<FoldedResNet> compile(Block net, NDManager parent, boolean channelsLast) {
        return compile(net, parent, channelsLast, false);
    }

    /** As {@link #compile(Block, NDManager, boolean)}; with {@code features}, logits rows continue with the features. */
    public static Optional<FoldedResNet> compile(Block net, NDManager parent, boolean channelsLast, boolean features) {
        if (!(net instanceof ResNet resnet)) {
            return Optional.empty();
        }
        NDManager manager = parent.newSubManager();
        try {
            Folder folder = new Folder(manager, channelsLast);
            List<Conv> stemConvs = folder.convs(resnet.stem(), true);
            if (stemConvs.size() != 1 || !stemConvs.get(0).relu()) {
                throw new UnsupportedLayout("stem");
            }
            List<Residual> blocks = new ArrayList<>();
            for (ResNet.Stage stage : resnet.stages()) {
                for (ResidualBlock residual : stage.blocks()) {
                    List<Conv> branch = folder.convs(residual.residual(), false);
                    Conv projection = null;
                    if (residual.shortcut() != null) {
                        List<Conv> shortcut = folder.convs(residual.shortcut(), false);
                        if (shortcut.size() != 1) {
                            throw new UnsupportedLayout("shortcut");
                        }
                        projection = shortcut.get(0);
                    }
                    blocks.add(new Residual(branch, projection));
                }
            }
            Linear fc = resnet.head().fc();
            NDArray fcWeight = fc.getParameters().get("weight").getArray().duplicate();
            NDArray fcBias = fc.getParameters().get("bias").getArray().duplicate();
            fcWeight.attach(manager);
            fcBias.attach(manager);
            return Optional.of(new FoldedResNet(manager, channelsLast, stemConvs.get(0), blocks, fcWeight, fcBias, features));
        } catch (UnsupportedLayout e) {
            manager.close();
            return Optional.empty();
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Logits for a batch. Intermediate arrays are closed as soon as they have been read; {@code input}
     * is left to its owner, and the result belongs to {@code input}'s manager.
     */
    @Override
    public NDArray forward(NDArray input) {
        NDArray x = channelsLast ? toChannelsLast(input) : input;
        NDArray y = stem.apply(x);
        if (x != input) {
            x.close();
        }
        NDArray pooled = Pool.maxPool2d(y, new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), false);
        y.close();
        y = pooled;
        for (Residual block : blocks) {
            NDArray h = y;
            for (Conv conv : block.branch()) {
                NDArray next = conv.apply(h);
                if (h != y) {
                    h.close();
                }
                h = next;
            }
            if (block.projection() == null) {
                h.addi(y);
            } else {
                try (NDArray shortcut = block.projection().apply(y)) {
                    h.addi(shortcut);
                }
            }
            NDArray out = Activation.relu(h);
            h.close();
            y.close();
            y = out;
        }
        NDArray features = Pool.globalAvgPool2d(y);
        y.close();
        NDArray flat = features.reshape(features.getShape().get(0), -1);
        features.close();
        NDArray logits = Linear.linear(flat, fcWeight, fcBias).singletonOrThrow();
        if (!this.features) {
            flat.close();
            return logits;
        }
        NDArray both = logits.concat(flat, 1);
        logits.close();
        flat.close();
        return both;
    }

    /**
     * The same logical NCHW tensor with its memory in NHWC order: reshaping the permuted view to a
     * matrix forces the copy, and permuting back keeps the NHWC strides.
     */
    static NDArray toChannelsLast(NDArray nchw) {
        Shape s = nchw.getShape();
        try (NDArray nhwcView = nchw.transpose(0, 2, 3, 1);
                NDArray flat = nhwcView.reshape(s.get(0), -1);
                NDArray nhwc = flat.reshape(s.get(0), s.get(2), s.get(3), s.get(1))) {
            // The transposed view holds the storage; the handles above can go.
            return nhwc.transpose(0, 3, 1, 2);
        }
    }

    /** NCHW-contiguous: a copy when {@code x} is channels-last, a view when it already is contiguous. */
    static NDArray contiguous(NDArray x) {
        Shape s = x.getShape();
        try (NDArray flat = x.reshape(s.get(0), -1)) {
            return flat.reshape(s);
        }
    }

    Conv stem() {
        return stem;
    }

    List<Residual> blocks() {
        return blocks;
    }

    /** Whether rows of logits continue with the penultimate features. */
    boolean features() {
        return features;
    }

    NDArray fcWeight() {
        return fcWeight;
    }

    NDArray fcBias() {
        return fcBias;
    }

    boolean channelsLast() {
        return channelsLast;
    }

    @Override
    public String name() {
        return channelsLast ? "folded" : "folded-nchw";
    }

    @Override
    public void close() {
        weights.close();
    }

    private static final class UnsupportedLayout extends RuntimeException {
        UnsupportedLayout(String what) {
            super(what, null, false, false);
        }
    }

    /** Walks a block's layers in order, folding each BatchNorm into the convolution before it. */
    private static final class Folder {
        private final NDManager manager;
        private final boolean channelsLast;

        Folder(NDManager manager, boolean channelsLast) {
            this.manager = manager;
            this.channelsLast = channelsLast;
        }

        List<Conv> convs(Block block, boolean allowMaxPool) {
            List<Block> layers = new ArrayList<>();
            flatten(block, layers);
            List<Conv> convs = new ArrayList<>();
            Conv2d pending = null;
            BatchNorm pendingNorm = null;
            boolean relu = false;
            boolean pooled = false;
            for (Block layer : layers) {
                if (layer instanceof Conv2d conv) {
                    if (pending != null) {
                        convs.add(fold(pending, pendingNorm, relu));
                    }
                    if (pooled) {
                        throw new UnsupportedLayout("layer after pooling");
                    }
                    pending = conv;
                    pendingNorm = null;
                    relu = false;
                } else if (layer instanceof BatchNorm norm && pending != null && pendingNorm == null && !relu) {
                    pendingNorm = norm;
                } else if (layer instanceof LambdaBlock lambda && pending != null && !relu
                        && "ReLU".equalsIgnoreCase(lambda.getName())) {
                    relu = true;
                } else if (layer instanceof LambdaBlock && allowMaxPool && relu && !pooled) {
                    // The stem's 3x3/2 max pooling, the one pooling ResNet.build puts there.
                    pooled = true;
                } else {
                    throw new UnsupportedLayout(layer.getClass().getSimpleName());
                }
            }
            if (pending == null) {
                throw new UnsupportedLayout("no convolution");
            }
            if (allowMaxPool && !pooled) {
                throw new UnsupportedLayout("stem without pooling");
            }
            convs.add(fold(pending, pendingNorm, relu));
            return convs;
        }

        private static void flatten(Block block, List<Block> out) {
            if (block instanceof SequentialBlock) {
                block.getChildren().values().forEach(child -> flatten(child, out));
            } else {
                out.add(block);
            }
        }

        /** {@code bn(conv(x)) = conv'(x)} with {@code w' = w * s}, {@code b' = beta + (b - mean) * s}, {@code s = gamma / sqrt(var + eps)}. */
        private Conv fold(Conv2d conv, BatchNorm norm, boolean relu) {
            NDArray w = conv.getParameters().get("weight").getArray();
            var biasParameter = conv.getParameters().contains("bias") ? conv.getParameters().get("bias") : null;
            long outChannels = w.getShape().get(0);
            boolean pointwise = w.getShape().get(2) == 1 && w.getShape().get(3) == 1;
            NDArray weight;
            NDArray bias;
            try (NDManager scratch = manager.newSubManager()) {
                NDArray w64 = w.toType(DataType.FLOAT64, true);
                w64.attach(scratch);
                NDArray b64 = biasParameter == null
                        ? scratch.zeros(new Shape(outChannels), DataType.FLOAT64)
                        : attached(biasParameter.getArray().toType(DataType.FLOAT64, true), scratch);
                if (norm == null) {
                    weight = w64;
                    bias = b64;
                } else {
                    var p = norm.getParameters();
                    NDArray gamma = attached(p.get("gamma").getArray().toType(DataType.FLOAT64, true), scratch);
                    NDArray beta = attached(p.get("beta").getArray().toType(DataType.FLOAT64, true), scratch);
                    NDArray mean = attached(p.get("runningMean").getArray().toType(DataType.FLOAT64, true), scratch);
                    NDArray var = attached(p.get("runningVar").getArray().toType(DataType.FLOAT64, true), scratch);
                    NDArray scale = gamma.div(var.add(Layers.BN_EPSILON).sqrt());
                    weight = w64.mul(scale.reshape(outChannels, 1, 1, 1));
                    bias = beta.add(b64.sub(mean).mul(scale));
                }
                weight = weight.toType(DataType.FLOAT32, true);
                bias = bias.toType(DataType.FLOAT32, true);
                if (channelsLast && !pointwise) {
                    weight = toChannelsLast(weight);
                }
                weight.attach(manager);
                bias.attach(manager);
            }
            return new Conv(weight, bias, conv.getStride(), conv.getPadding(), relu, channelsLast && pointwise);
        }

        private static NDArray attached(NDArray array, NDManager manager) {
            array.attach(manager);
            return array;
        }
    }
}
