package io.resnetservice.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.initializer.ConstantInitializer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightAverageTest {

    private static Block tinyNet(Model model, float start) {
        Block net = new SequentialBlock()
                .add(Linear.builder().setUnits(3).build())
                .add(BatchNorm.builder().build());
        model.setBlock(net);
        net.setInitializer(new ConstantInitializer(start), Parameter.Type.WEIGHT);
        net.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(2, 4));
        return net;
    }

    private static void fill(Block net, float value) {
        for (var p : net.getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            java.util.Arrays.fill(v, value);
            a.set(v);
        }
    }

    private static float first(Block net, String parameterNameEnd) {
        for (var p : net.getParameters()) {
            if (p.getKey().endsWith(parameterNameEnd)) {
                return p.getValue().getArray().toFloatArray()[0];
            }
        }
        throw new AssertionError("no parameter named *" + parameterNameEnd);
    }

    /** avg <- d * avg + (1 - d) * w after each step, for weights and BatchNorm running statistics alike. */
    @Test
    void averagesEveryParameterWithTheGivenDecay() {
        try (Model model = Model.newInstance("t", ai.djl.Device.cpu(), "PyTorch")) {
            Block net = tinyNet(model, 1f);
            fill(net, 1f);
            try (WeightAverage average = new WeightAverage(net, 0.5f, 1, model.getNDManager())) {
                fill(net, 3f);
                average.step(); // 0.5 * 1 + 0.5 * 3 = 2
                fill(net, 6f);
                average.step(); // 0.5 * 2 + 0.5 * 6 = 4
                assertEquals(6f, first(net, "weight"), "stepping leaves the network's own weights alone");
                average.copyIntoNetwork();
                assertEquals(4f, first(net, "weight"), 1e-6);
                assertEquals(4f, first(net, "runningMean"), 1e-6);
                assertEquals(4f, first(net, "runningVar"), 1e-6);
            }
        }
    }

    /** Updating every k steps uses decay^k, so the horizon in steps does not change with k. */
    @Test
    void anIntervalRaisesTheDecayToItsPower() {
        try (Model model = Model.newInstance("t", ai.djl.Device.cpu(), "PyTorch")) {
            Block net = tinyNet(model, 0f);
            fill(net, 0f);
            try (WeightAverage average = new WeightAverage(net, 0.5f, 2, model.getNDManager())) {
                fill(net, 8f);
                average.step(); // skipped
                average.copyIntoNetwork();
                assertEquals(0f, first(net, "weight"));
                fill(net, 8f);
                average.step(); // 0.25 * 0 + 0.75 * 8 = 6
                average.copyIntoNetwork();
                assertEquals(6f, first(net, "weight"), 1e-6);
            }
        }
    }

    @Test
    void snapshotRestoreAndSaveLoadRoundTrip(@TempDir Path dir) throws Exception {
        try (Model model = Model.newInstance("t", ai.djl.Device.cpu(), "PyTorch")) {
            Block net = tinyNet(model, 0f);
            fill(net, 2f);
            Path file = dir.resolve("average.ndlist");
            try (WeightAverage average = new WeightAverage(net, 0.5f, 1, model.getNDManager())) {
                fill(net, 4f);
                average.step(); // 3
                average.save(file);
                List<NDArray> own = average.snapshot(model.getNDManager());
                average.copyIntoNetwork();
                assertEquals(3f, first(net, "weight"), 1e-6);
                average.restore(own);
                assertEquals(4f, first(net, "weight"));
            }
            fill(net, 9f);
            try (WeightAverage resumed = new WeightAverage(net, 0.5f, 1, model.getNDManager())) {
                resumed.load(file);
                resumed.copyIntoNetwork();
                float[] weights = net.getParameters().get(0).getValue().getArray().toFloatArray();
                float[] threes = new float[weights.length];
                java.util.Arrays.fill(threes, 3f);
                assertArrayEquals(threes, weights, 1e-6f, "a resumed run continues the saved average");
            }
        }
    }

    @Test
    void aDecayOutsideTheOpenUnitIntervalIsRefused() {
        try (Model model = Model.newInstance("t", ai.djl.Device.cpu(), "PyTorch")) {
            Block net = tinyNet(model, 0f);
            assertThrows(IllegalArgumentException.class, () -> new WeightAverage(net, 1f, 1, model.getNDManager()));
            assertThrows(IllegalArgumentException.class, () -> new WeightAverage(net, 0f, 1, model.getNDManager()));
        }
    }
}
