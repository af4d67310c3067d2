package io.resnetservice.runtime;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
import io.resnetservice.model.FeatureGaussians;
import io.resnetservice.model.Int8Parameters;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelLoadException;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.model.ResNet;
import io.resnetservice.preprocess.Preprocessor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A model folder loaded onto its device, ready to answer. Forward passes may run on several threads at
 * once: each one works in its own NDManager, closed when it returns, and reads the shared weights only.
 */
public final class LoadedModel implements AutoCloseable {

    private final ModelFolder folder;
    private final Model model;
    private final Block block;
    private final Forward forward;
    /** Whether the forward's rows continue with the penultimate features (our ResNets: yes). */
    private final boolean features;
    private final int featureWidth;
    private final FeatureGaussians ood;
    private final double temperature;
    private final Preprocessor preprocessor;
    private final String weightsSha256;
    private final long parameterCount;
    private double loadSeconds;
    /** Twice the cores: room for the batch workers (one per core by default) and a few request threads with batching off. */
    private final InputBuffers inputBuffers = new InputBuffers(2 * Runtime.getRuntime().availableProcessors());

    private LoadedModel(ModelFolder folder, Model model, String weightsSha256, Execution execution) {
        this.folder = folder;
        this.model = model;
        this.block = model.getBlock();
        this.features = block instanceof ResNet;
        this.forward = forward(folder, block, model.getNDManager(), execution, features);
        this.featureWidth = features ? ((ResNet) block).featureWidth() : 0;
        this.ood = folder.outOfDistribution(featureWidth).orElse(null);
        this.temperature = folder.spec().calibration() == null ? 1 : folder.spec().calibration().temperature();
        this.preprocessor = new Preprocessor(folder.spec().input(), folder.spec().preprocess());
        this.weightsSha256 = weightsSha256;
        // TorchScript modules do not say which tensors are trainable; their count includes BN statistics.
        boolean ours = folder.spec().format() != ModelSpec.Format.TORCHSCRIPT;
        this.parameterCount = block.getParameters().values().stream()
                .filter(p -> !ours || p.requiresGradient())
                .mapToLong(p -> p.getArray().getShape().size())
                .sum();
        if (!(forward instanceof BlockForward)) {
            // The compiled network holds its own (folded, reordered or quantized) copies of the weights.
            block.getParameters().values().forEach(p -> p.getArray().close());
        }
    }

    /** Builds the network, loads its weights onto {@code device} and runs one warm-up forward. */
    public static LoadedModel load(ModelFolder folder, Device device) {
        return load(folder, device, Execution.DEFAULT);
    }

    /** Builds the network, loads its weights onto {@code device} and runs one warm-up forward. */
    public static LoadedModel load(ModelFolder folder, Device device, Execution execution) {
        long start = System.nanoTime();
        ModelSpec spec = folder.spec();
        Model model = Model.newInstance(spec.name(), device, "PyTorch");
        try {
            String sha;
            if (spec.format() == ModelSpec.Format.TORCHSCRIPT) {
                sha = loadTorchScript(folder, model);
            } else {
                Block block = folder.newBlock();
                model.setBlock(block);
                sha = folder.loadWeights(block, model.getNDManager());
            }
            LoadedModel loaded = new LoadedModel(folder, model, sha, execution);
            loaded.forward(new float[loaded.preprocessor.tensorSize()], 1);
            loaded.loadSeconds = (System.nanoTime() - start) / 1e9;
            return loaded;
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private static Forward forward(ModelFolder folder, Block block, NDManager manager, Execution execution,
            boolean features) {
        ModelSpec.Precision precision = folder.spec().precision();
        if (precision == ModelSpec.Precision.INT8) {
            Int8Parameters parameters = folder.int8Parameters().orElseThrow();
            try {
                return Forward.int8(block, manager, parameters, features);
            } catch (IllegalArgumentException e) {
                throw new ModelLoadException(folder.source().describe(folder.spec().quantization().parameters())
                        + ": cannot run the model in int8: " + e.getMessage(), e);
            }
        }
        if (precision == ModelSpec.Precision.BF16) {
            try {
                return Forward.bf16(block, manager, CpuFeatures.current(), features);
            } catch (IllegalArgumentException e) {
                throw new ModelLoadException(folder.source().describe(ModelSpec.FILE_NAME) + ": " + e.getMessage(), e);
            }
        }
        return Forward.of(block, manager, execution, features);
    }

    private static String loadTorchScript(ModelFolder folder, Model model) {
        String file = folder.spec().weights();
        Path dir = folder.source().directory().orElseThrow(() -> new ModelLoadException(
                folder.source().describe(file) + ": TorchScript models load from a folder on disk", null));
        if (!file.endsWith(".pt")) {
            throw new ModelLoadException(folder.source().describe(file) + ": a TorchScript file must end in .pt", null);
        }
        try {
            model.load(dir, file.substring(0, file.length() - 3));
        } catch (IOException | ai.djl.MalformedModelException | RuntimeException e) {
            throw new ModelLoadException(folder.source().describe(file) + ": cannot load TorchScript: " + e.getMessage(), e);
        }
        return folder.sha256Of(file);
    }

    /**
     * Runs {@code batch} preprocessed images ({@code batch x C x H x W} floats) through the network.
     *
     * @return softmax probabilities, one row per image
     */
    public float[][] forward(float[] input, int batch) {
        return outputs(List.of(input), batch).probabilities();
    }

    /** As {@link #outputs(List, int)}, probabilities only. */
    public float[][] forward(List<float[]> parts, int batch) {
        return outputs(parts, batch).probabilities();
    }

    /**
     * Probabilities (calibrated where model.json says so) and out-of-distribution scores (where the
     * folder has fitted statistics) for a batch that arrives in parts (one per request), laid end to
     * end: they are copied straight into the native input buffer, with no batch-sized array in between.
     */
    public Outputs outputs(List<float[]> parts, int batch) {
        int classes = labels().size();
        int width = classes + featureWidth;
        float[] flat = pass(parts, batch);
        float[][] probabilities = new float[batch][];
        float[] scores = ood == null ? null : new float[batch];
        for (int i = 0; i < batch; i++) {
            probabilities[i] = softmax(flat, i * width, classes, temperature);
            if (scores != null) {
                scores[i] = (float) ood.score(flat, i * width + classes);
            }
        }
        return new Outputs(probabilities, scores);
    }

    /** The network's raw outputs, before calibration and softmax. */
    public float[][] logits(float[] input, int batch) {
        int classes = labels().size();
        int width = classes + featureWidth;
        float[] flat = pass(List.of(input), batch);
        float[][] rows = new float[batch][];
        for (int i = 0; i < batch; i++) {
            rows[i] = Arrays.copyOfRange(flat, i * width, i * width + classes);
        }
        return rows;
    }

    /** The penultimate features (after global pooling), {@link #featureWidth()} per image, end to end. */
    public float[] features(float[] input, int batch) {
        if (!features) {
            throw new UnsupportedOperationException(name() + " does not expose its features");
        }
        int classes = labels().size();
        int width = classes + featureWidth;
        float[] flat = pass(List.of(input), batch);
        float[] out = new float[batch * featureWidth];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(flat, i * width + classes, out, i * featureWidth, featureWidth);
        }
        return out;
    }

    /** Width of the penultimate features; 0 for a network that does not expose them. */
    public int featureWidth() {
        return featureWidth;
    }

    /** The fitted out-of-distribution statistics, if the folder has them. */
    public Optional<FeatureGaussians> outOfDistribution() {
        return Optional.ofNullable(ood);
    }

    /** {@code softmax(values / temperature)} over {@code length} values from {@code offset}. */
    public static float[] softmax(float[] values, int offset, int length, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < length; i++) {
            max = Math.max(max, values[offset + i] / temperature);
        }
        double[] e = new double[length];
        double sum = 0;
        for (int i = 0; i < length; i++) {
            e[i] = Math.exp(values[offset + i] / temperature - max);
            sum += e[i];
        }
        float[] out = new float[length];
        for (int i = 0; i < length; i++) {
            out[i] = (float) (e[i] / sum);
        }
        return out;
    }

    /** One pass: the network's output rows (logits, then features where it has them), end to end. */
    private float[] pass(List<float[]> parts, int batch) {
        // Grad mode is per thread in libtorch; inference never needs the autograd graph.
        JniUtils.setGradMode(false);
        Shape shape = folder.inputShape(batch);
        int values = Math.toIntExact(shape.size());
        long given = 0;
        for (float[] part : parts) {
            given += part.length;
        }
        if (given != values) {
            throw new IllegalArgumentException("a batch of " + batch + " needs " + values + " values, not " + given);
        }
        // The input tensor reads this buffer in place, so it goes back only after the manager is closed.
        ByteBuffer data = inputBuffers.borrow(values * Float.BYTES);
        try {
            FloatBuffer floats = data.asFloatBuffer();
            for (float[] part : parts) {
                floats.put(part);
            }
            try (NDManager manager = model.getNDManager().newSubManager()) {
                NDArray x = manager.create(data, shape, DataType.FLOAT32);
                return forward.forward(x).toFloatArray();
            }
        } finally {
            inputBuffers.giveBack(data);
        }
    }

    /** Input buffers kept for reuse between passes (at most one per concurrent pass, up to a bound). */
    int idleInputBuffers() {
        return inputBuffers.idleCount();
    }

    public String name() {
        return folder.spec().name();
    }

    public ModelSpec spec() {
        return folder.spec();
    }

    public List<String> labels() {
        return folder.labels();
    }

    public Preprocessor preprocessor() {
        return preprocessor;
    }

    public Device device() {
        return model.getNDManager().getDevice();
    }

    /** The arithmetic the network runs in, as model.json says. */
    public ModelSpec.Precision precision() {
        return folder.spec().precision();
    }

    public String weightsSha256() {
        return weightsSha256;
    }

    public long parameterCount() {
        return parameterCount;
    }

    public double loadSeconds() {
        return loadSeconds;
    }

    public Shape inputShape() {
        return folder.inputShape(1);
    }

    /** The manager that owns this model's weights; request managers hang below it. */
    public NDManager rootManager() {
        return model.getNDManager();
    }

    public ModelFolder folder() {
        return folder;
    }

    /** Whether forward passes run the folded network rather than DJL's blocks. */
    public boolean folded() {
        return !(forward instanceof BlockForward);
    }

    /** How forward passes run: {@code onednn}, {@code folded} (channels-last), {@code folded-nchw}, {@code blocks}, {@code int8} or {@code onednn-bf16}. */
    public String executionName() {
        return forward.name();
    }

    @Override
    public void close() {
        forward.close();
        model.close();
    }
}
