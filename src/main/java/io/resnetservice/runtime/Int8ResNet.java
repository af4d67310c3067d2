package io.resnetservice.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import io.resnetservice.model.Int8Parameters;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link FoldedResNet} run in 8-bit integers through libtorch's quantized operators (FBGEMM, or oneDNN
 * where the CPU has VNNI): activations travel as {@code quint8} tensors, every convolution runs on
 * per-channel symmetric {@code qint8} weights prepacked once when the model loads, ReLUs are fused
 * into the convolutions and residual additions ({@code quantized::conv2d_relu}, {@code
 * quantized::add_relu}). The image is quantized on the way in; the last block's output is dequantized
 * before global pooling, so the penultimate features and {@code fc} stay in float (the head is
 * 0.05 % of the arithmetic, and the features feed the out-of-distribution score).
 *
 * <p>Written out as generated TorchScript, as {@link OneDnnResNet} is; the encodings are constants of
 * the program, the weights its arguments.
 */
public final class Int8ResNet implements Forward {

    private static final int QINT8 = 12;
    private static final int QUINT8 = 13;
    /** libtorch keeps the first class loaded under a name: each program gets its own. */
    private static final AtomicInteger PROGRAMS = new AtomicInteger();

    private final NDManager manager;
    private final PtSymbolBlock module;
    private final IValue packed;
    private final IValue head;

    private Int8ResNet(NDManager manager, PtSymbolBlock module, IValue packed, IValue head) {
        this.manager = manager;
        this.module = module;
        this.packed = packed;
        this.head = head;
    }

    /** How many activations a network has to encode, in {@link Int8Parameters}' order. */
    public static int activationCount(FoldedResNet net) {
        int count = 2;
        for (FoldedResNet.Residual block : net.blocks()) {
            count += block.branch().size() + (block.projection() == null ? 0 : 1) + 1;
        }
        return count;
    }

    /** The convolutions in {@link Int8Parameters}' order. */
    static List<FoldedResNet.Conv> convolutions(FoldedResNet net) {
        List<FoldedResNet.Conv> convs = new ArrayList<>();
        convs.add(net.stem());
        for (FoldedResNet.Residual block : net.blocks()) {
            convs.addAll(block.branch());
            if (block.projection() != null) {
                convs.add(block.projection());
            }
        }
        return convs;
    }

    /** Output channels of each convolution, in {@link Int8Parameters}' order. */
    public static List<Long> outChannels(FoldedResNet net) {
        return convolutions(net).stream().map(c -> c.weight().getShape().get(0)).toList();
    }

    /**
     * Compiles {@code folded} (NCHW weights) with {@code parameters} into an int8 module under {@code parent}.
     *
     * @throws IllegalArgumentException when {@code parameters} do not fit the network
     */
    public static Int8ResNet compile(FoldedResNet folded, Int8Parameters parameters, NDManager parent) {
        if (folded.channelsLast()) {
            throw new IllegalArgumentException("int8 execution takes the folded network in NCHW order");
        }
        List<FoldedResNet.Conv> convs = convolutions(folded);
        parameters.requireShape(activationCount(folded), outChannels(folded));
        String className = "Int8ResNet" + PROGRAMS.incrementAndGet();
        NDManager manager = parent.newSubManager();
        try (NDManager scratch = manager.newSubManager()) {
            List<NDArray> weights = new ArrayList<>();
            for (int i = 0; i < convs.size(); i++) {
                FoldedResNet.Conv conv = convs.get(i);
                float[] scales = parameters.weightScales().get(i);
                double[] wide = new double[scales.length];
                for (int c = 0; c < scales.length; c++) {
                    wide[c] = scales[c];
                }
                weights.add(conv.weight());
                weights.add(conv.bias());
                weights.add(scratch.create(wide));
                weights.add(scratch.zeros(new Shape(scales.length), DataType.INT64));
            }
            PtSymbolBlock module = TorchScriptArchive.load(manager, className, source(className, folded, parameters));
            IValue packed = TorchScriptArchive.prepack(module, weights);
            IValue head = IValue.listFrom((PtNDArray) folded.fcWeight(), (PtNDArray) folded.fcBias());
            return new Int8ResNet(manager, module, packed, head);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    @Override
    public NDArray forward(NDArray input) {
        try (IValue x = IValue.from((PtNDArray) input);
                IValue logits = module.forward(x, packed, head)) {
            return logits.toTensor((PtNDManager) input.getManager());
        }
    }

    @Override
    public String name() {
        return "int8";
    }

    @Override
    public void close() {
        packed.close();
        head.close();
        manager.close();
    }

    private static String source(String className, FoldedResNet net, Int8Parameters parameters) {
        List<Int8Parameters.Affine> act = parameters.activations();
        StringBuilder prepack = new StringBuilder();
        List<FoldedResNet.Conv> convs = convolutions(net);
        for (int i = 0; i < convs.size(); i++) {
            FoldedResNet.Conv conv = convs.get(i);
            int w = 4 * i;
            prepack.append("ops.quantized.conv2d_prepack(torch.quantize_per_channel(w[").append(w).append("], w[")
                    .append(w + 2).append("], w[").append(w + 3).append("], 0, ").append(QINT8).append("), w[")
                    .append(w + 1).append("], ").append(pair(conv.stride())).append(", ").append(pair(conv.padding()))
                    .append(", [1, 1], 1), ");
        }
        StringBuilder forward = new StringBuilder();
        int a = 0;
        int c = 0;
        forward.append("    y = torch.quantize_per_tensor(x.contiguous(memory_format=2), ")
                .append(encoding(act.get(a++))).append(", ").append(QUINT8).append(")\n");
        forward.append("    y = ").append(conv(net.stem(), "y", c++, act.get(a++))).append('\n');
        forward.append("    y = torch.max_pool2d(y, [3, 3], [2, 2], [1, 1])\n");
        for (FoldedResNet.Residual block : net.blocks()) {
            String input = "y";
            for (FoldedResNet.Conv conv : block.branch()) {
                forward.append("    h = ").append(conv(conv, input, c++, act.get(a++))).append('\n');
                input = "h";
            }
            String shortcut = "y";
            if (block.projection() != null) {
                forward.append("    s = ").append(conv(block.projection(), "y", c++, act.get(a++))).append('\n');
                shortcut = "s";
            }
            forward.append("    y = ops.quantized.add_relu(h, ").append(shortcut).append(", ")
                    .append(encoding(act.get(a++))).append(")\n");
        }
        forward.append("    f = torch.flatten(torch.adaptive_avg_pool2d(torch.dequantize(y), [1, 1]), 1)\n");
        String logits = "torch.linear(f, fc[0], fc[1])";
        forward.append("    return ").append(net.features() ? "torch.cat([" + logits + ", f], 1)" : logits).append('\n');
        String packedType = "List[__torch__.torch.classes.quantized.Conv2dPackedParamsBase]";
        return "class " + className + "(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + "  def prepack(self: __torch__." + className + ",\n"
                + "    w: List[Tensor]) -> " + packedType + ":\n"
                + "    return [" + prepack + "]\n"
                + "  def forward(self: __torch__." + className + ",\n"
                + "    x: Tensor,\n"
                + "    p: " + packedType + ",\n"
                + "    fc: List[Tensor]) -> Tensor:\n"
                + forward;
    }

    private static String conv(FoldedResNet.Conv conv, String input, int index, Int8Parameters.Affine out) {
        return "ops.quantized." + (conv.relu() ? "conv2d_relu" : "conv2d") + "(" + input + ", p[" + index + "], "
                + encoding(out) + ")";
    }

    private static String encoding(Int8Parameters.Affine affine) {
        return String.format(Locale.ROOT, "%.9e, %d", affine.scale(), affine.zeroPoint());
    }

    private static String pair(Shape shape) {
        return "[" + shape.get(0) + ", " + shape.get(1) + "]";
    }
}
