package io.resnetservice.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ResNet;
import io.resnetservice.model.ResNetArchitecture;
import io.resnetservice.model.ResNetVariant;
import io.resnetservice.support.RandomTensors;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FoldedResNetTest {

    /**
     * Freshly initialised BatchNorms (mean 0, variance 1, scale 1, shift 0) fold into almost nothing;
     * statistics like a trained network's make the folding do real arithmetic.
     */
    private static void randomizeBatchNorms(Block net, NDManager manager, Random random) {
        net.getParameters().forEach(pair -> {
            Parameter p = pair.getValue();
            String name = pair.getKey();
            long n = p.getArray().getShape().size();
            float[] values = new float[(int) n];
            boolean touched = true;
            for (int i = 0; i < n; i++) {
                if (name.endsWith("gamma")) {
                    values[i] = 0.5f + random.nextFloat();
                } else if (name.endsWith("beta") || name.endsWith("runningMean")) {
                    values[i] = (float) random.nextGaussian() * 0.2f;
                } else if (name.endsWith("runningVar")) {
                    values[i] = 0.5f + 1.5f * random.nextFloat();
                } else if (name.endsWith("bias")) {
                    values[i] = (float) random.nextGaussian() * 0.05f;
                } else {
                    touched = false;
                    break;
                }
            }
            if (touched) {
                p.getArray().set(values);
            }
        });
    }

    private static float[] blocks(Block net, NDManager manager, float[] input, Shape shape) {
        JniUtils.setGradMode(false);
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.create(input, shape);
            return net.forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow().toFloatArray();
        }
    }

    private static float[] folded(FoldedResNet net, NDManager manager, float[] input, Shape shape) {
        JniUtils.setGradMode(false);
        try (NDManager m = manager.newSubManager()) {
            return net.forward(m.create(input, shape)).toFloatArray();
        }
    }

    private static float[] oneDnn(OneDnnResNet net, NDManager manager, float[] input, Shape shape) {
        JniUtils.setGradMode(false);
        try (NDManager m = manager.newSubManager()) {
            return net.forward(m.create(input, shape)).toFloatArray();
        }
    }

    private static void assertClose(float[] expected, float[] actual) {
        float scale = 1;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertTrue(expected.length == actual.length, "same number of outputs");
        for (int i = 0; i < expected.length; i++) {
            float diff = Math.abs(expected[i] - actual[i]);
            assertTrue(diff <= 1e-4f * scale,
                    "output " + i + ": blocks " + expected[i] + ", folded " + actual[i] + " (largest output " + scale + ")");
        }
    }

    @ParameterizedTest(name = "{0} ResNet-{1}, {2} channels at {3}x{3}, channels-last {4}")
    @CsvSource({
        "TEXTBOOK, 18, 1, 56, false",
        "TEXTBOOK, 18, 1, 56, true",
        "TEXTBOOK, 18, 1, 28, true",
        "TEXTBOOK, 18, 1, 28, false",
        "TEXTBOOK, 18, 1, 20, false",
        "TORCHVISION, 18, 3, 96, false",
        "TORCHVISION, 18, 3, 96, true",
        "TORCHVISION, 50, 3, 64, false",
        "TORCHVISION, 50, 3, 64, true",
    })
    void foldedNetworkEqualsTheBlocksItWasFoldedFrom(
            ResNetVariant variant, int depth, int channels, int size, boolean channelsLast) {
        ResNetArchitecture architecture = ResNetArchitecture.ofDepth(depth);
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = ResNet.build(architecture, variant, 10);
            net.initialize(manager, DataType.FLOAT32, new Shape(1, channels, size, size));
            randomizeBatchNorms(net, manager, new Random(depth * 31L + size));
            Random random = new Random(5);
            float[] probe = RandomTensors.gaussian(channels * size * size, random);
            Shape probeShape = new Shape(1, channels, size, size);
            float[] before = blocks(net, manager, probe, probeShape);
            try (FoldedResNet folded = FoldedResNet.compile(net, manager, channelsLast).orElseThrow();
                    OneDnnResNet oneDnn = channelsLast ? null : OneDnnResNet.compile(folded, manager)) {
                // Batch sizes the batcher produces: oneDNN picks kernels by shape, so try several.
                for (int batch : new int[] {1, 3, 16}) {
                    float[] input = RandomTensors.gaussian(batch * channels * size * size, random);
                    Shape shape = new Shape(batch, channels, size, size);
                    float[] expected = blocks(net, manager, input, shape);
                    assertClose(expected, folded(folded, manager, input, shape));
                    if (oneDnn != null) {
                        assertClose(expected, oneDnn(oneDnn, manager, input, shape));
                    }
                }
            }
            // Folding copies: the network it came from is unchanged and answers exactly as before.
            org.junit.jupiter.api.Assertions.assertArrayEquals(before, blocks(net, manager, probe, probeShape));
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"onednn", "folded"})
    void theShippedModelAnswersTheSameCompiledAndBlockByBlock(String name) {
        Execution execution = name.equals("onednn") ? Execution.DEFAULT : Execution.FOLDED;
        ModelFolder folder = ModelFolder.embedded();
        try (LoadedModel blocks = LoadedModel.load(folder, Device.cpu(), Execution.BLOCKS);
                LoadedModel compiled = LoadedModel.load(folder, Device.cpu(), execution)) {
            assertFalse(blocks.folded());
            assertTrue(compiled.folded());
            org.junit.jupiter.api.Assertions.assertEquals(name, compiled.executionName());
            int size = blocks.preprocessor().tensorSize();
            Random random = new Random(11);
            for (int batch : new int[] {1, 4, 32, 256}) {
                float[] input = RandomTensors.gaussian(batch * size, random);
                float[][] expected = blocks.logits(input, batch);
                float[][] actual = compiled.logits(input, batch);
                for (int i = 0; i < batch; i++) {
                    assertClose(expected[i], actual[i]);
                }
            }
        }
    }

    @Test
    void aNetworkNotLaidOutLikeOurResNetsIsLeftToItsBlocks() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock other = new SequentialBlock().add(Linear.builder().setUnits(3).build());
            other.initialize(manager, DataType.FLOAT32, new Shape(1, 4));
            assertTrue(FoldedResNet.compile(other, manager, true).isEmpty());
        }
    }
}
