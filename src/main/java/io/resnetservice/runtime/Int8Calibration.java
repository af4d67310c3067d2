package io.resnetservice.runtime;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.pooling.Pool;
import ai.djl.pytorch.jni.JniUtils;
import io.resnetservice.model.Int8Parameters;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Post-training static quantization of a {@link FoldedResNet}: feed calibration batches through the
 * float network, observe the range of every activation {@link Int8ResNet} will encode, then derive the
 * encodings and the weights' per-channel symmetric scales ({@code max |w| / 127}).
 *
 * <p>Activations use 7 bits ({@code [0, 127]}), as PyTorch's x86 recipe does: FBGEMM's AVX2 kernels
 * multiply pairs of uint8 x int8 into int16 and could saturate with the full 8-bit range.
 */
public final class Int8Calibration implements AutoCloseable {

    /** The largest activation code: 7 bits. */
    public static final int QUANT_MAX = 127;
    /** Values kept per activation per batch for the percentile observer. */
    private static final int SAMPLES_PER_BATCH = 1 << 16;

    /** How an activation's range is chosen from what calibration saw. */
    public enum Observer {
        /** The smallest and largest value seen: nothing clipped, coarser steps. */
        MINMAX,
        /** The 0.01st and 99.99th percentiles: rare outliers clipped, finer steps for the rest. */
        PERCENTILE
    }

    private final FoldedResNet net;
    /** The model the network was folded from, when {@link #open} loaded it: closed with this. */
    private final Model model;
    private final ModelSpec.Input input;
    private final Observer observer;
    private final double[] min;
    private final double[] max;
    private final List<List<float[]>> samples = new ArrayList<>();
    private long images;

    /** Loads {@code folder}'s float network on the CPU, folded, ready to observe. */
    public static Int8Calibration open(ModelFolder folder, Observer observer) {
        Model model = Model.newInstance(folder.spec().name(), Device.cpu(), "PyTorch");
        try {
            Block block = folder.newBlock();
            model.setBlock(block);
            folder.loadWeights(block, model.getNDManager());
            FoldedResNet net = FoldedResNet.compile(block, model.getNDManager(), false).orElseThrow(
                    () -> new IllegalArgumentException(folder.spec().name() + " is not a ResNet this project can fold"));
            return new Int8Calibration(net, observer, model, folder.spec().input());
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    Int8Calibration(FoldedResNet net, Observer observer) {
        this(net, observer, null, null);
    }

    private Int8Calibration(FoldedResNet net, Observer observer, Model model, ModelSpec.Input input) {
        this.model = model;
        this.input = input;
        if (net.channelsLast()) {
            throw new IllegalArgumentException("calibration takes the folded network in NCHW order");
        }
        this.net = net;
        this.observer = observer;
        int count = Int8ResNet.activationCount(net);
        this.min = new double[count];
        this.max = new double[count];
        Arrays.fill(min, Double.POSITIVE_INFINITY);
        Arrays.fill(max, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < count; i++) {
            samples.add(new ArrayList<>());
        }
    }

    /** Observes {@code batch} preprocessed images ({@code batch x C x H x W} floats, end to end). */
    public void observe(float[] tensors, int batch) {
        if (input == null) {
            throw new IllegalStateException("open a model folder to observe flat tensors");
        }
        try (NDManager manager = model.getNDManager().newSubManager()) {
            observe(manager.create(tensors, new Shape(batch, input.channels(), input.height(), input.width())));
        }
    }

    /** Runs one preprocessed batch ({@code N x C x H x W}) through the float network, observing every activation. */
    public void observe(NDArray batch) {
        JniUtils.setGradMode(false);
        try (NDManager scratch = batch.getManager().newSubManager()) {
            int a = 0;
            record(a++, batch);
            NDArray y = net.stem().apply(batch);
            y.attach(scratch);
            record(a++, y);
            y = Pool.maxPool2d(y, new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), false);
            for (FoldedResNet.Residual block : net.blocks()) {
                NDArray h = y;
                for (FoldedResNet.Conv conv : block.branch()) {
                    h = conv.apply(h);
                    record(a++, h);
                }
                NDArray shortcut = y;
                if (block.projection() != null) {
                    shortcut = block.projection().apply(y);
                    record(a++, shortcut);
                }
                y = Activation.relu(h.add(shortcut));
                record(a++, y);
            }
            images += batch.getShape().get(0);
        }
    }

    /** How many images have been observed. */
    public long images() {
        return images;
    }

    /** The encodings and weight scales for what has been observed. */
    public Int8Parameters parameters() {
        if (images == 0) {
            throw new IllegalStateException("no calibration images observed");
        }
        List<Int8Parameters.Affine> activations = new ArrayList<>();
        for (int i = 0; i < min.length; i++) {
            double lo = min[i];
            double hi = max[i];
            if (observer == Observer.PERCENTILE) {
                float[] all = concat(samples.get(i));
                Arrays.sort(all);
                lo = Math.max(lo, all[(int) Math.floor(1e-4 * (all.length - 1))]);
                hi = Math.min(hi, all[(int) Math.ceil((1 - 1e-4) * (all.length - 1))]);
            }
            activations.add(Int8Parameters.Affine.of(lo, hi, QUANT_MAX));
        }
        List<float[]> weightScales = new ArrayList<>();
        for (FoldedResNet.Conv conv : Int8ResNet.convolutions(net)) {
            long out = conv.weight().getShape().get(0);
            try (NDArray abs = conv.weight().abs(); NDArray rows = abs.reshape(out, -1); NDArray peak = rows.max(new int[] {1})) {
                float[] peaks = peak.toFloatArray();
                float[] scales = new float[peaks.length];
                for (int c = 0; c < peaks.length; c++) {
                    scales[c] = Math.max(peaks[c], 1e-8f) / 127f;
                }
                weightScales.add(scales);
            }
        }
        return new Int8Parameters(activations, weightScales);
    }

    @Override
    public void close() {
        if (model != null) {
            net.close();
            model.close();
        }
    }

    private void record(int point, NDArray x) {
        try (NDArray lo = x.min(); NDArray hi = x.max()) {
            min[point] = Math.min(min[point], lo.getFloat());
            max[point] = Math.max(max[point], hi.getFloat());
        }
        if (observer == Observer.PERCENTILE) {
            float[] values = x.toFloatArray();
            int step = Math.max(1, values.length / SAMPLES_PER_BATCH);
            float[] kept = new float[(values.length + step - 1) / step];
            for (int i = 0, j = 0; i < values.length; i += step) {
                kept[j++] = values[i];
            }
            samples.get(point).add(kept);
        }
    }

    private static float[] concat(List<float[]> parts) {
        float[] all = new float[parts.stream().mapToInt(p -> p.length).sum()];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }
}
