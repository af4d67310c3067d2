package io.resnetservice.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
import io.resnetservice.model.Int8Parameters;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ResNet;
import io.resnetservice.model.ResNetArchitecture;
import io.resnetservice.model.ResNetVariant;
import io.resnetservice.support.RandomTensors;
import io.resnetservice.support.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Int8ResNetTest {


    private static float[] run(Forward net, NDManager manager, float[] input, Shape shape) {
        try (NDManager m = manager.newSubManager()) {
            return net.forward(m.create(input, shape)).toFloatArray();
        }
    }

    /**
     * Calibrated on random images, the int8 network tracks the float one it was quantized from (logits and
     * features alike, cosine >= 0.99) without equalling it: the integer kernels really ran.
     */
    @ParameterizedTest(name = "{0} ResNet-{1}, {2} channels at {3}x{3}, {4}")
    @CsvSource({
        "TEXTBOOK, 18, 1, 28, minmax",
        "TEXTBOOK, 18, 1, 56, percentile",
        "TORCHVISION, 18, 3, 64, minmax",
        "TORCHVISION, 50, 3, 64, percentile",
    })
    void theInt8NetworkTracksTheFloatNetwork(ResNetVariant variant, int depth, int channels, int size, String observer) {
        try (NDManager manager = NDManager.newBaseManager()) {
            JniUtils.setGradMode(false);
            Block net = ResNet.build(ResNetArchitecture.ofDepth(depth), variant, 10);
            net.initialize(manager, DataType.FLOAT32, new Shape(1, channels, size, size));
            Random random = new Random(depth + size);
            try (FoldedResNet folded = FoldedResNet.compile(net, manager, false, true).orElseThrow()) {
                Int8Calibration calibration = new Int8Calibration(folded, Int8Calibration.Observer.valueOf(observer.toUpperCase(Locale.ROOT)));
                for (int b = 0; b < 3; b++) {
                    try (NDManager m = manager.newSubManager()) {
                        calibration.observe(m.create(RandomTensors.gaussian(8 * channels * size * size, random),
                                new Shape(8, channels, size, size)));
                    }
                }
                assertEquals(24, calibration.images());
                Int8Parameters parameters = calibration.parameters();
                assertEquals(Int8ResNet.activationCount(folded), parameters.activations().size());
                try (Int8ResNet int8 = Int8ResNet.compile(folded, parameters, manager)) {
                    assertEquals("int8", int8.name());
                    for (int batch : new int[] {1, 5}) {
                        float[] input = RandomTensors.gaussian(batch * channels * size * size, random);
                        Shape shape = new Shape(batch, channels, size, size);
                        float[] expected = run(folded, manager, input, shape);
                        float[] actual = run(int8, manager, input, shape);
                        assertEquals(expected.length, actual.length, "logits and features per image");
                        double cosine = io.resnetservice.training.Reliability.cosine(expected, actual);
                        assertTrue(cosine >= 0.99, "cosine to fp32 " + cosine);
                        assertTrue(cosine < 0.999999, "int8 differs from fp32 (cosine " + cosine + ")");
                    }
                }
            }
        }
    }

    @Test
    void parametersThatDoNotFitTheNetworkAreRefusedSayingWhy() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = ResNet.build(ResNetArchitecture.RESNET_18, ResNetVariant.TEXTBOOK, 10);
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 28, 28));
            try (FoldedResNet folded = FoldedResNet.compile(net, manager, false).orElseThrow()) {
                List<Long> channels = Int8ResNet.outChannels(folded);
                assertEquals(20, channels.size(), "ResNet-18: stem, 16 branch convolutions, 3 projections");
                int count = Int8ResNet.activationCount(folded);
                assertEquals(2 + 8 * 3 + 3, count, "input, stem, per block two branch outputs and the sum, 3 projections");
                List<Int8Parameters.Affine> activations = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    activations.add(new Int8Parameters.Affine(0.05, 0));
                }
                List<float[]> scales = new ArrayList<>();
                for (long c : channels) {
                    float[] s = new float[(int) c];
                    java.util.Arrays.fill(s, 0.01f);
                    scales.add(s);
                }
                String missing = assertThrows(IllegalArgumentException.class, () -> Int8ResNet.compile(folded,
                        new Int8Parameters(activations.subList(1, count), scales), manager)).getMessage();
                assertEquals("holds 28 activation encodings, the network has 29", missing);
                List<float[]> wrong = new ArrayList<>(scales);
                wrong.set(3, new float[7]);
                java.util.Arrays.fill(wrong.get(3), 0.01f);
                String channelsMessage = assertThrows(IllegalArgumentException.class,
                        () -> Int8ResNet.compile(folded, new Int8Parameters(activations, wrong), manager)).getMessage();
                assertEquals("convolution 3 has 64 output channels, its weight scales 7", channelsMessage);
                try (Int8ResNet fits = Int8ResNet.compile(folded, new Int8Parameters(activations, scales), manager)) {
                    assertEquals("int8", fits.name());
                }
            }
        }
    }

    @Test
    void aCalibrationOpenedOnAFolderKeepsNothingOfABatchAndGivesEverythingBackWhenClosed() {
        ModelFolder folder = ModelFolder.open(ModelFolder.ModelSource.directory(
                TestModels.repositoryWithRandomFashionModel().resolve(TestModels.NAME)));
        try (NDManager probe = NDManager.newBaseManager()) {
            NDManager system = probe.getParentManager();
            int before = system.getManagedArrays().size();
            Int8Calibration calibration = Int8Calibration.open(folder, Int8Calibration.Observer.PERCENTILE);
            assertTrue(system.getManagedArrays().size() > before, "the folded network's weights");
            calibration.observe(RandomTensors.gaussian(2 * 784, 4L), 2);
            try (NDManager batches = probe.newSubManager()) {
                calibration.observe(batches.create(RandomTensors.gaussian(3 * 784, 5L), new Shape(3, 1, 28, 28)));
                assertEquals(1, batches.getManagedArrays().size(), "only the batch itself is left in its manager");
            }
            assertEquals(5, calibration.images());
            Int8Parameters parameters = calibration.parameters();
            // ResNet-18: the input, the stem, and per block its two convolutions, its projection (3 blocks) and its output.
            assertEquals(2 + 8 * 3 + 3, parameters.activations().size());
            assertEquals(1 + 8 * 2 + 3, parameters.weightScales().size(), "the stem, the blocks' and the projections' convolutions");
            calibration.close();
            assertEquals(before, system.getManagedArrays().size(), "closing gave back the network and its model");
        }
    }
}
