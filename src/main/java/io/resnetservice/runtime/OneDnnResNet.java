package io.resnetservice.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link FoldedResNet} run the way frozen TorchScript ({@code torch.jit.optimize_for_inference}) runs
 * a ResNet on a CPU: activations stay in oneDNN's own blocked layout ({@code nChw16c}) from one
 * convolution to the next, and every kxk convolution's weights are reordered into oneDNN's blocked
 * layout once, when the model loads. Op by op through DJL's NDArray API, oneDNN reorders every
 * convolution's weights on every call, and plain NCHW or NHWC activations pick slower kernels.
 *
 * <p>DJL's API reaches neither oneDNN tensors nor prepacked weights, but it loads TorchScript and calls
 * its methods. So the network is written out as a small TorchScript program — straight-line code, one
 * {@code aten::mkldnn_convolution} per folded convolution, generated from the folded network — that
 * takes its weights as arguments: {@code prepack} reorders them once, {@code forward} takes the
 * prepacked list. The archive holds code only (no tensor data), so it is written here, not by Python.
 *
 * <p>Where the layouts meet: a block's residual addition runs on dense NCHW tensors, because adding
 * two oneDNN tensors goes through oneDNN's sum primitive, which dies with SIGFPE on VMs that answer
 * CPUID's cache-topology leaf 0x8000001D with zeros (in {@code simple_sum_t::pd_t::init}; the same wall
 * as the brgemm 1x1 kernel in {@link FoldedResNet}), killing the JVM. So
 * each block costs two reorders (its output to dense, the sum back to oneDNN's layout), and a
 * projection shortcut reads the dense block input through aten's convolution, since its output joins
 * the dense addition.
 *
 * <p>CPU only (oneDNN). Outputs equal the unfolded network's within float rounding (tested to 1e-4).
 */
public final class OneDnnResNet implements Forward {

    private static final String CLASS_NAME = "OneDnnResNet";
    private static final String BF16_CLASS_NAME = "OneDnnBf16ResNet";
    private static final int BFLOAT16 = 15;
    private static final int FLOAT32 = 6;

    private final NDManager manager;
    private final PtSymbolBlock module;
    private final IValue packedWeights;
    private final boolean bf16;

    private OneDnnResNet(NDManager manager, PtSymbolBlock module, IValue packedWeights, boolean bf16) {
        this.manager = manager;
        this.module = module;
        this.packedWeights = packedWeights;
        this.bf16 = bf16;
    }

    /** Compiles {@code folded} (which must keep NCHW weights) into a TorchScript module under {@code parent}. */
    public static OneDnnResNet compile(FoldedResNet folded, NDManager parent) {
        return compile(folded, parent, false);
    }

    /**
     * As {@link #compile(FoldedResNet, NDManager)}; with {@code bf16}, the convolutions, activations and
     * residual additions run in bfloat16 (weights rounded once, at load), and the pooled features and
     * {@code fc} in float: oneDNN's bf16 kernels, for CPUs with AVX512-BF16 or AMX.
     */
    public static OneDnnResNet compile(FoldedResNet folded, NDManager parent, boolean bf16) {
        if (folded.channelsLast()) {
            throw new IllegalArgumentException("oneDNN execution takes the folded network in NCHW order");
        }
        List<NDArray> weights = new ArrayList<>();
        String className = bf16 ? BF16_CLASS_NAME : CLASS_NAME;
        String source = source(className, folded, weights, bf16);
        NDManager manager = parent.newSubManager();
        try {
            PtSymbolBlock module = TorchScriptArchive.load(manager, className, source);
            return new OneDnnResNet(manager, module, TorchScriptArchive.prepack(module, weights), bf16);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Logits for an NCHW float batch; the result belongs to {@code input}'s manager. */
    @Override
    public NDArray forward(NDArray input) {
        try (IValue x = IValue.from((PtNDArray) input);
                IValue logits = module.forward(x, packedWeights)) {
            return logits.toTensor((PtNDManager) input.getManager());
        }
    }

    @Override
    public String name() {
        return bf16 ? "onednn-bf16" : "onednn";
    }

    @Override
    public void close() {
        packedWeights.close();
        manager.close();
    }

    /** TorchScript source of the module; {@code weights} receives the arguments {@code prepack} expects, in order. */
    private static String source(String className, FoldedResNet net, List<NDArray> weights, boolean bf16) {
        StringBuilder prepack = new StringBuilder();
        StringBuilder forward = new StringBuilder();
        // y: the activations in oneDNN's layout, which the convolutions read; d: the same as a dense
        // NCHW tensor, which the residual additions and the 1x1 projections read.
        forward.append("    y = x.contiguous()").append(bf16 ? ".to(dtype=" + BFLOAT16 + ")" : "").append(".to_mkldnn()\n");
        forward.append("    y = ").append(conv(net.stem(), "y", weights, prepack, bf16)).append('\n');
        forward.append("    y = torch.max_pool2d(y, [3, 3], [2, 2], [1, 1])\n");
        forward.append("    d = y.to_dense()\n");
        List<FoldedResNet.Residual> blocks = net.blocks();
        for (int b = 0; b < blocks.size(); b++) {
            FoldedResNet.Residual block = blocks.get(b);
            String input = "y";
            for (FoldedResNet.Conv conv : block.branch()) {
                forward.append("    h = ").append(conv(conv, input, weights, prepack, bf16)).append('\n');
                input = "h";
            }
            if (block.branch().get(block.branch().size() - 1).relu()) {
                throw new IllegalArgumentException("a residual branch must end before its ReLU");
            }
            String shortcut = "d";
            if (block.projection() != null) {
                forward.append("    s = ").append(projection(block.projection(), weights, prepack, bf16)).append('\n');
                shortcut = "s";
            }
            // aten's fused add-ReLU has no bfloat16 kernel.
            forward.append(bf16 ? "    d = torch.relu_(h.to_dense().add_(" + shortcut + "))\n"
                    : "    d = torch._add_relu_(h.to_dense(), " + shortcut + ")\n");
            if (b < blocks.size() - 1) {
                forward.append("    y = d.to_mkldnn()\n");
            }
        }
        int fc = weights.size();
        weights.add(net.fcWeight());
        weights.add(net.fcBias());
        prepack.append("w[").append(fc).append("], w[").append(fc + 1).append(']');
        forward.append("    f = torch.flatten(torch.adaptive_avg_pool2d(d, [1, 1]), 1)")
                .append(bf16 ? ".to(dtype=" + FLOAT32 + ")" : "").append('\n');
        String logits = "torch.linear(f, w[" + fc + "], w[" + (fc + 1) + "])";
        forward.append("    return ").append(net.features() ? "torch.cat([" + logits + ", f], 1)" : logits).append('\n');
        return "class " + className + "(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + "  def prepack(self: __torch__." + className + ",\n"
                + "    w: List[Tensor]) -> List[Tensor]:\n"
                + "    return [" + prepack + "]\n"
                + "  def forward(self: __torch__." + className + ",\n"
                + "    x: Tensor,\n"
                + "    w: List[Tensor]) -> Tensor:\n"
                + forward;
    }

    /**
     * One oneDNN convolution on prepacked weights, from and to oneDNN's layout, and its ReLU where it
     * has one (oneDNN's eltwise primitive, in place).
     */
    private static String conv(FoldedResNet.Conv conv, String input, List<NDArray> weights, StringBuilder prepack,
            boolean bf16) {
        int index = weights.size();
        weights.add(conv.weight());
        weights.add(conv.bias());
        String padding = pair(conv.padding());
        String stride = pair(conv.stride());
        prepack.append("torch.mkldnn_reorder_conv2d_weight(torch.to_mkldnn(").append(cast("w[" + index + "]", bf16))
                .append("), ").append(padding).append(", ").append(stride).append(", [1, 1], 1), ")
                .append(cast("w[" + (index + 1) + "]", bf16)).append(", ");
        String call = "torch.mkldnn_convolution(" + input + ", w[" + index + "], w[" + (index + 1) + "], "
                + padding + ", " + stride + ", [1, 1], 1)";
        return conv.relu() ? "torch.relu_(" + call + ")" : call;
    }

    /** A block's projection shortcut, on the dense block input {@code d}: aten's convolution, plain weights. */
    private static String projection(FoldedResNet.Conv conv, List<NDArray> weights, StringBuilder prepack, boolean bf16) {
        int index = weights.size();
        weights.add(conv.weight());
        weights.add(conv.bias());
        prepack.append(cast("w[" + index + "]", bf16)).append(", ").append(cast("w[" + (index + 1) + "]", bf16)).append(", ");
        return "torch.conv2d(d, w[" + index + "], w[" + (index + 1) + "], " + pair(conv.stride()) + ", "
                + pair(conv.padding()) + ")";
    }

    private static String cast(String tensor, boolean bf16) {
        return bf16 ? tensor + ".to(dtype=" + BFLOAT16 + ")" : tensor;
    }

    private static String pair(Shape shape) {
        return "[" + shape.get(0) + ", " + shape.get(1) + "]";
    }
}
