package io.resnetservice.runtime;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelLoadException;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.preprocess.Preprocessor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A model folder loaded onto its device, ready to answer. Forward passes may run on several threads at
 * once: each one works in its own NDManager, closed when it returns, and reads the shared weights only.
 */
public final class LoadedModel implements AutoCloseable {

    private final ModelFolder folder;
    private final Model model;
    private final Block block;
    private final Forward forward;
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
        this.forward = Forward.of(block, model.getNDManager(), execution);
        this.preprocessor = new Preprocessor(folder.spec().input(), folder.spec().preprocess());
        this.weightsSha256 = weightsSha256;
        // TorchScript modules do not say which tensors are trainable; their count includes BN statistics.
        boolean ours = folder.spec().format() != ModelSpec.Format.TORCHSCRIPT;
        this.parameterCount = block.getParameters().values().stream()
                .filter(p -> !ours || p.requiresGradient())
                .mapToLong(p -> p.getArray().getShape().size())
                .sum();
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
        return run(List.of(input), batch, true);
    }

    /**
     * As {@link #forward(float[], int)} for a batch that arrives in parts (one per request), laid end to
     * end: they are copied straight into the native input buffer, with no batch-sized array in between.
     */
    public float[][] forward(List<float[]> parts, int batch) {
        return run(parts, batch, true);
    }

    /** The network's raw outputs, before softmax. */
    public float[][] logits(float[] input, int batch) {
        return run(List.of(input), batch, false);
    }

    private float[][] run(List<float[]> parts, int batch, boolean softmax) {
        int classes = labels().size();
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
                NDArray logits = forward.forward(x);
                float[] flat = (softmax ? logits.softmax(1) : logits).toFloatArray();
                float[][] rows = new float[batch][];
                for (int i = 0; i < batch; i++) {
                    rows[i] = Arrays.copyOfRange(flat, i * classes, (i + 1) * classes);
                }
                return rows;
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

    /** How forward passes run: {@code onednn}, {@code folded} (channels-last), {@code folded-nchw} or {@code blocks}. */
    public String executionName() {
        return forward.name();
    }

    @Override
    public void close() {
        forward.close();
        model.close();
    }
}
