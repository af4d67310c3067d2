package io.resnetservice.inference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link FoldedResNet} run the way frozen TorchScript runs a ResNet on a CPU: one fused oneDNN
 * convolution per layer — its ReLU, or a block's residual addition and ReLU, applied inside the
 * convolution as oneDNN post-ops — on NHWC activations, with every kxk convolution's weights reordered
 * into oneDNN's blocked layout once, when the model loads. Op by op through DJL's NDArray API, oneDNN
 * reorders every convolution's weights on every call, and ReLU and addition are separate passes over
 * memory. ResNet-18 at 224, batch 8, this project's machine: about 1.2-1.7x {@code FoldedResNet}'s
 * channels-last throughput.
 *
 * <p>DJL's API reaches neither prepacked weights nor fused convolutions, but it loads TorchScript and
 * calls its methods. So the network is written out as a small TorchScript program — straight-line code,
 * one {@code mkldnn::_convolution_pointwise} per folded convolution, generated from the folded network —
 * that takes its weights as arguments: {@code prepack} reorders them once, {@code forward} takes the
 * prepacked list. The archive holds code only (no tensor data), so it is written here, not by Python.
 *
 * <p>Why NHWC dense tensors rather than oneDNN's own ({@code to_mkldnn}) tensors, as
 * {@code torch.utils.mkldnn} uses: adding two oneDNN tensors goes through oneDNN's sum primitive, which
 * died with SIGFPE on this project's machines, and the fused-convolution ops take dense tensors only.
 *
 * <p>CPU only (oneDNN). Outputs equal the unfolded network's within float rounding (tested to 1e-4).
 */
public final class OneDnnResNet implements AutoCloseable {

    private static final String CLASS_NAME = "OneDnnResNet";

    private final NDManager manager;
    private final PtSymbolBlock module;
    private final IValue packedWeights;

    private OneDnnResNet(NDManager manager, PtSymbolBlock module, IValue packedWeights) {
        this.manager = manager;
        this.module = module;
        this.packedWeights = packedWeights;
    }

    /** Compiles {@code folded} (which must keep NCHW weights) into a TorchScript module under {@code parent}. */
    public static OneDnnResNet compile(FoldedResNet folded, NDManager parent) {
        if (folded.channelsLast()) {
            throw new IllegalArgumentException("oneDNN execution takes the folded network in NCHW order");
        }
        List<NDArray> weights = new ArrayList<>();
        String source = source(folded, weights);
        NDManager manager = parent.newSubManager();
        try {
            PtSymbolBlock module = JniUtils.loadModule((PtNDManager) manager,
                    new ByteArrayInputStream(TorchScriptArchive.of(CLASS_NAME, source)), false, false);
            PtNDArray[] arrays = weights.stream().map(PtNDArray.class::cast).toArray(PtNDArray[]::new);
            IValue packed;
            try (IValue list = IValue.listFrom(arrays)) {
                packed = IValueUtils.runMethod(module, "prepack", list);
            }
            return new OneDnnResNet(manager, module, packed);
        } catch (IOException e) {
            manager.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Logits for an NCHW float batch; the result belongs to {@code input}'s manager. */
    public NDArray forward(NDArray input) {
        try (IValue x = IValue.from((PtNDArray) input);
                IValue logits = module.forward(x, packedWeights)) {
            return logits.toTensor((PtNDManager) input.getManager());
        }
    }

    @Override
    public void close() {
        packedWeights.close();
        manager.close();
    }

    /** TorchScript source of the module; {@code weights} receives the arguments {@code prepack} expects, in order. */
    private static String source(FoldedResNet net, List<NDArray> weights) {
        StringBuilder prepack = new StringBuilder();
        StringBuilder forward = new StringBuilder();
        forward.append("    e = annotate(List[Optional[number]], [])\n");
        forward.append("    y = x.contiguous(memory_format=2)\n");
        forward.append("    y = ").append(conv(net.stem(), "y", null, weights, prepack)).append('\n');
        forward.append("    y = torch.max_pool2d(y, [3, 3], [2, 2], [1, 1])\n");
        for (FoldedResNet.Residual block : net.blocks()) {
            List<FoldedResNet.Conv> branch = block.branch();
            String input = "y";
            for (FoldedResNet.Conv conv : branch.subList(0, branch.size() - 1)) {
                forward.append("    h = ").append(conv(conv, input, null, weights, prepack)).append('\n');
                input = "h";
            }
            if (block.projection() != null) {
                forward.append("    s = ").append(conv(block.projection(), "y", null, weights, prepack)).append('\n');
            }
            FoldedResNet.Conv last = branch.get(branch.size() - 1);
            if (last.relu()) {
                throw new IllegalArgumentException("a residual branch must end before its ReLU");
            }
            String shortcut = block.projection() == null ? "y" : "s";
            // Where the output is a single pixel, NCHW and NHWC strides coincide and oneDNN refuses the
            // fused addition's pair of tensors ("could not create a memory"): add separately there.
            // The branch's last convolution keeps its input's size, so the input decides.
            if (isOneByOne(last)) {
                forward.append("    y = ").append(conv(last, input, shortcut, weights, prepack)).append('\n');
                continue;
            }
            int weightIndex = weights.size();
            forward.append("    if ").append(input).append(".size(2) * ").append(input).append(".size(3) > 1:\n");
            forward.append("      y = ").append(conv(last, input, shortcut, weights, prepack)).append('\n');
            forward.append("    else:\n");
            forward.append("      y = torch.relu_(torch.add_(")
                    .append(pointwiseCall(input, weightIndex, last, "\"none\", e, None")).append(", ")
                    .append(shortcut).append("))\n");
        }
        int fc = weights.size();
        weights.add(net.fcWeight());
        weights.add(net.fcBias());
        prepack.append("w[").append(fc).append("], w[").append(fc + 1).append(']');
        forward.append("    f = torch.flatten(torch.adaptive_avg_pool2d(y, [1, 1]), 1)\n");
        forward.append("    return torch.linear(f, w[").append(fc).append("], w[").append(fc + 1).append("])\n");
        return "class " + CLASS_NAME + "(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + "  def prepack(self: __torch__." + CLASS_NAME + ",\n"
                + "    w: List[Tensor]) -> List[Tensor]:\n"
                + "    return [" + prepack + "]\n"
                + "  def forward(self: __torch__." + CLASS_NAME + ",\n"
                + "    x: Tensor,\n"
                + "    w: List[Tensor]) -> Tensor:\n"
                + forward;
    }

    /**
     * One fused oneDNN convolution: with its ReLU when it has one, or, given a {@code residual},
     * {@code relu(conv(input) + residual)} in the same pass over the output.
     */
    private static String conv(FoldedResNet.Conv conv, String input, String residual, List<NDArray> weights,
            StringBuilder prepack) {
        int index = weights.size();
        weights.add(conv.weight());
        weights.add(conv.bias());
        String padding = pair(conv.padding());
        String stride = pair(conv.stride());
        if (isOneByOne(conv)) {
            // 1x1 convolutions go through aten's convolution on NCHW input, as in FoldedResNet: offered
            // NHWC input or a prepacked weight, oneDNN tries its brgemm 1x1 kernel, which dies with
            // SIGFPE on this project's machines (their VMs report no CPU cache sizes, which oneDNN divides by).
            // Few in a ResNet-18.
            prepack.append("w[").append(index).append("], w[").append(index + 1).append("], ");
            String call = "torch.conv2d(" + input + ".contiguous(), w[" + index + "], w[" + (index + 1) + "], "
                    + stride + ", " + padding + ")";
            if (residual != null) {
                call = "torch.relu_(torch.add_(" + call + ", " + residual + "))";
            } else if (conv.relu()) {
                call = "torch.relu_(" + call + ")";
            }
            return call + ".contiguous(memory_format=2)";
        }
        prepack.append("torch.mkldnn_reorder_conv2d_weight(torch.to_mkldnn(w[").append(index).append("]), ")
                .append(padding).append(", ").append(stride).append(", [1, 1], 1), ")
                .append("w[").append(index + 1).append("], ");
        return residual == null
                ? pointwiseCall(input, index, conv, (conv.relu() ? "\"relu\"" : "\"none\"") + ", e, None")
                : pointwiseCall(input + ", " + residual, index, conv, "\"add\", 1.0, \"relu\", e, None");
    }

    private static boolean isOneByOne(FoldedResNet.Conv conv) {
        return conv.weight().getShape().get(2) == 1 && conv.weight().getShape().get(3) == 1;
    }

    /** {@code ops.mkldnn._convolution_pointwise} on the prepacked weights at {@code index}. */
    private static String pointwiseCall(String inputs, int index, FoldedResNet.Conv conv, String attributes) {
        return "ops.mkldnn._convolution_pointwise(" + inputs + ", w[" + index + "], w[" + (index + 1) + "], "
                + pair(conv.padding()) + ", " + pair(conv.stride()) + ", [1, 1], 1, " + attributes + ")";
    }

    private static String pair(Shape shape) {
        return "[" + shape.get(0) + ", " + shape.get(1) + "]";
    }
}
