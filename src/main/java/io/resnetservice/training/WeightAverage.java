package io.resnetservice.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Exponential moving average of every parameter of a network, BatchNorm running statistics included
 * (as timm's ModelEmaV2 does), so the averaged weights and the statistics they are evaluated with come
 * from the same stretch of training.
 *
 * <p>Why: the last epochs of a short run still move the weights around a minimum; their average tends
 * to sit nearer its centre than the last step does. Updating every {@code every} steps with the decay
 * raised to that power keeps the same horizon for a fraction of the memory traffic (11 M floats).
 */
final class WeightAverage implements AutoCloseable {

    private final NDManager manager;
    private final List<Parameter> parameters = new ArrayList<>();
    private final List<NDArray> averages = new ArrayList<>();
    private final float decay;
    private final int every;
    private long steps;

    WeightAverage(Block net, float decay, int every, NDManager parent) {
        if (!(decay > 0 && decay < 1)) {
            throw new IllegalArgumentException("the average's decay must lie in (0, 1), got " + decay);
        }
        this.manager = parent.newSubManager();
        this.decay = (float) Math.pow(decay, every);
        this.every = every;
        for (var pair : net.getParameters()) {
            Parameter parameter = pair.getValue();
            parameters.add(parameter);
            NDArray copy = parameter.getArray().duplicate();
            copy.attach(manager);
            averages.add(copy);
        }
    }

    /** Call after every optimizer step. */
    void step() {
        if (++steps % every != 0) {
            return;
        }
        withoutGradients(() -> {
            for (int i = 0; i < parameters.size(); i++) {
                try (NDArray scaled = parameters.get(i).getArray().mul(1 - decay)) {
                    averages.get(i).muli(decay).addi(scaled);
                }
            }
        });
    }

    /** Overwrites the network's parameters with the averages. */
    void copyIntoNetwork() {
        withoutGradients(() -> {
            for (int i = 0; i < parameters.size(); i++) {
                averages.get(i).copyTo(parameters.get(i).getArray());
            }
        });
    }

    /** Copies of the network's current parameters, to put back with {@link #restore}. */
    List<NDArray> snapshot(NDManager into) {
        List<NDArray> copies = new ArrayList<>();
        for (Parameter parameter : parameters) {
            NDArray copy = parameter.getArray().duplicate();
            copy.attach(into);
            copies.add(copy);
        }
        return copies;
    }

    void restore(List<NDArray> snapshot) {
        withoutGradients(() -> {
            for (int i = 0; i < parameters.size(); i++) {
                snapshot.get(i).copyTo(parameters.get(i).getArray());
            }
        });
    }

    void save(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, new NDList(averages).encode());
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }

    void load(Path file) throws IOException {
        NDList saved = NDList.decode(manager, Files.readAllBytes(file));
        if (saved.size() != averages.size()) {
            throw new IOException(file + " holds " + saved.size() + " averages, the network has " + averages.size());
        }
        withoutGradients(() -> {
            for (int i = 0; i < averages.size(); i++) {
                saved.get(i).copyTo(averages.get(i));
            }
        });
        saved.close();
    }

    /** In-place writes into parameters that require gradients are refused while autograd records. */
    private static void withoutGradients(Runnable action) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            action.run();
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
