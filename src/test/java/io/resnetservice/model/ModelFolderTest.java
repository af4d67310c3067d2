package io.resnetservice.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.resnetservice.support.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFolderTest {

    static ModelSpec spec(String name) {
        return TestModels.fashionSpec(name);
    }

    @Test
    void saveAndLoadRoundTripIsBitIdentical(@TempDir Path dir) throws Exception {
        ModelSpec spec = spec("roundtrip");
        List<String> labels = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
        try (NDManager manager = NDManager.newBaseManager()) {
            Block original = ResNet.build(ResNetArchitecture.RESNET_18, ResNetVariant.TEXTBOOK, labels.size());
            ModelFolder.initialize(original, manager, spec.input());
            ModelFolder.write(dir, spec, labels, original);

            ModelFolder folder = ModelFolder.open(ModelFolder.ModelSource.directory(dir));
            assertEquals(spec, folder.spec());
            assertEquals(labels, folder.labels());
            Block loaded = folder.newBlock();
            String sha = folder.loadWeights(loaded, manager);
            assertEquals(64, sha.length());

            Path again = dir.resolve("again");
            ModelFolder.write(again, spec, labels, loaded);
            assertArrayEquals(Files.readAllBytes(dir.resolve(spec.weights())), Files.readAllBytes(again.resolve(spec.weights())));

            NDArray x = manager.randomNormal(new Shape(3, 1, 28, 28));
            ParameterStore store = new ParameterStore(manager, false);
            float[] a = original.forward(store, new NDList(x), false).singletonOrThrow().toFloatArray();
            float[] b = loaded.forward(store, new NDList(x), false).singletonOrThrow().toFloatArray();
            assertArrayEquals(a, b, 0f);
        }
    }

    @Test
    void outOfDistributionStatisticsLoadAndABadFileIsNamed(@TempDir Path dir) throws Exception {
        List<String> labels = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
        ModelSpec plain = spec("ood");
        ModelSpec spec = plain.with(new ModelSpec.Calibration(1.5, "test"),
                new ModelSpec.OutOfDistribution("mahalanobis", "stats.npz", 20, 0.95));
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = ResNet.build(ResNetArchitecture.RESNET_18, ResNetVariant.TEXTBOOK, labels.size());
            ModelFolder.initialize(block, manager, spec.input());
            ModelFolder.write(dir, spec, labels, block);
        }
        java.util.Random random = new java.util.Random(1);
        int[] classes = new int[200];
        float[] rows = new float[200 * 512];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < classes.length; i++) {
            classes[i] = i % 10;
        }
        try (var out = Files.newOutputStream(dir.resolve("stats.npz"))) {
            FeatureGaussians.fit(rows, 512, classes, 10, 0.1).write(out);
        }
        ModelFolder folder = ModelFolder.open(ModelFolder.ModelSource.directory(dir));
        assertEquals(spec, folder.spec(), "calibration and statistics round-trip through model.json");
        assertEquals(512, folder.outOfDistribution(512).orElseThrow().dim());

        ModelLoadException wrongWidth = assertThrows(ModelLoadException.class, () -> folder.outOfDistribution(2048));
        assertTrue(wrongWidth.getMessage().contains("stats.npz") && wrongWidth.getMessage().contains("2048"),
                wrongWidth.getMessage());
        Files.write(dir.resolve("stats.npz"), new byte[] {'P', 'K', 3, 4, 0, 0});
        ModelLoadException corrupt = assertThrows(ModelLoadException.class, () -> folder.outOfDistribution(512));
        assertTrue(corrupt.getMessage().contains("stats.npz"), corrupt.getMessage());
        Files.delete(dir.resolve("stats.npz"));
        ModelLoadException missing = assertThrows(ModelLoadException.class, () -> folder.outOfDistribution(512));
        assertTrue(missing.getMessage().contains("stats.npz"), missing.getMessage());
        assertTrue(plain.with(null, null).outOfDistribution() == null);
    }

    @Test
    void weightsOfAnotherArchitectureAreAClearError(@TempDir Path dir) throws Exception {
        ModelSpec spec = spec("mismatch");
        try (NDManager manager = NDManager.newBaseManager()) {
            Block five = ResNet.build(ResNetArchitecture.RESNET_18, ResNetVariant.TEXTBOOK, 5);
            ModelFolder.initialize(five, manager, spec.input());
            ModelFolder.write(dir, spec, List.of("a", "b", "c", "d", "e"), five);
            Files.writeString(dir.resolve("labels.txt"), "a\nb\nc\n");
            ModelFolder folder = ModelFolder.open(ModelFolder.ModelSource.directory(dir));
            ModelLoadException e = assertThrows(ModelLoadException.class,
                    () -> folder.loadWeights(folder.newBlock(), manager));
            assertTrue(e.getMessage().contains("mismatch.params"), e.getMessage());
        }
    }

    @Test
    void aMissingWeightsFileIsNamed(@TempDir Path dir) throws Exception {
        ModelFolder.writeSpec(dir, spec("missing"));
        Files.writeString(dir.resolve("labels.txt"), "a\nb\n");
        ModelFolder folder = ModelFolder.open(ModelFolder.ModelSource.directory(dir));
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelLoadException e = assertThrows(ModelLoadException.class,
                    () -> folder.loadWeights(folder.newBlock(), manager));
            assertTrue(e.getMessage().contains(dir.resolve("missing.params").toString()), e.getMessage());
            assertTrue(e.getMessage().contains("file not found"), e.getMessage());
        }
    }

    @Test
    void anInvalidModelJsonIsNamed(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("model.json"), "{\"name\": \"x\", \"depth\": 19, \"variant\": \"textbook\"}");
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> ModelFolder.open(ModelFolder.ModelSource.directory(dir)));
        assertTrue(e.getMessage().contains("model.json"), e.getMessage());
    }
}
