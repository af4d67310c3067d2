package io.resnetservice.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.Shape;
import io.resnetservice.model.FeatureGaussians;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.support.TestModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a loaded model answers: logits, calibrated probabilities, features, and what it says about itself. */
class LoadedModelTest {

    static final Path REPOSITORY = TestModels.repositoryWithRandomFashionModel();

    static float[] images(int batch, long seed) {
        Random random = new Random(seed);
        float[] x = new float[batch * 28 * 28];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    @Test
    void softmaxDividesByTheTemperatureAndReadsOnlyItsSlice() {
        float[] values = {99, 1, 2, 3, -99};
        float[] plain = LoadedModel.softmax(values, 1, 3, 1);
        double sum = Math.exp(1) + Math.exp(2) + Math.exp(3);
        assertArrayEquals(new float[] {(float) (Math.exp(1) / sum), (float) (Math.exp(2) / sum), (float) (Math.exp(3) / sum)},
                plain, 1e-7f);
        float[] warm = LoadedModel.softmax(values, 1, 3, 2);
        double half = Math.exp(0.5) + Math.exp(1) + Math.exp(1.5);
        assertArrayEquals(new float[] {(float) (Math.exp(0.5) / half), (float) (Math.exp(1) / half), (float) (Math.exp(1.5) / half)},
                warm, 1e-7f);
        float[] huge = LoadedModel.softmax(new float[] {1000, 1001}, 0, 2, 1);
        assertEquals(1 / (1 + Math.E), huge[0], 1e-6, "stable where exp would overflow");
        assertEquals(Math.E / (1 + Math.E), huge[1], 1e-6);
    }

    @Test
    void probabilitiesAreTheCalibratedSoftmaxOfTheLogitsRowByRow(@TempDir Path tmp) throws IOException {
        Path source = REPOSITORY.resolve(TestModels.NAME);
        Path dir = TestModels.copyFolder(source, tmp.resolve("calibrated"));
        ModelSpec spec = ModelFolder.open(ModelFolder.ModelSource.directory(source)).spec();
        ModelFolder.writeSpec(dir, spec.with(new ModelSpec.Calibration(2.5, "test"), null));
        ModelFolder folder = ModelFolder.open(ModelFolder.ModelSource.directory(dir));
        float[] x = images(3, 7);
        try (LoadedModel model = LoadedModel.load(folder, Device.cpu())) {
            float[][] logits = model.logits(x, 3);
            float[][] probabilities = model.forward(x, 3);
            assertEquals(3, logits.length);
            for (int i = 0; i < 3; i++) {
                assertEquals(10, logits[i].length);
                assertArrayEquals(LoadedModel.softmax(logits[i], 0, 10, 2.5), probabilities[i], 1e-6f);
                assertFalse(java.util.Arrays.equals(LoadedModel.softmax(logits[i], 0, 10, 1), probabilities[i]),
                        "the temperature was applied");
            }
            assertArrayEquals(probabilities[1], model.forward(java.util.Arrays.copyOfRange(x, 784, 1568), 1)[0], 1e-5f,
                    "a row does not depend on the others in its batch");
            assertNull(model.outputs(List.of(x), 3).oodScores(), "no statistics, no scores");
        }
    }

    @Test
    void featuresAreThePooledRowsBeforeTheClassifier() {
        float[] x = images(2, 11);
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(ModelFolder.ModelSource.directory(
                REPOSITORY.resolve(TestModels.NAME))), Device.cpu())) {
            assertEquals(512, model.featureWidth());
            float[] features = model.features(x, 2);
            assertEquals(2 * 512, features.length);
            for (float f : features) {
                assertTrue(f >= 0, "after ReLU and average pooling");
            }
            float[] one = model.features(java.util.Arrays.copyOfRange(x, 784, 1568), 1);
            assertArrayEquals(one, java.util.Arrays.copyOfRange(features, 512, 1024), 1e-4f);
            float[] first = java.util.Arrays.copyOfRange(features, 0, 512);
            assertTrue(sum(first) > 0 && sum(one) > 0, "features are there, not zeros");
            assertFalse(java.util.Arrays.equals(first, one), "each image has its own");
            assertEquals(new Shape(1, 1, 28, 28), model.inputShape());
            assertEquals(TestModels.NAME, model.name());
            assertEquals(ModelSpec.Precision.FP32, model.precision());
            assertEquals(64, model.weightsSha256().length());
            assertTrue(model.folded());
            assertEquals("onednn", model.executionName());
            assertTrue(model.loadSeconds() > 0 && model.loadSeconds() < 600, "seconds: " + model.loadSeconds());
            assertEquals(Device.cpu(), model.device());
        }
    }

    @Test
    void theParameterCountIsTheTrainableWeightsOnly() {
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(ModelFolder.ModelSource.directory(
                REPOSITORY.resolve(TestModels.NAME))), Device.cpu(), Execution.BLOCKS)) {
            // PyTorch's count for the seed's textbook ResNet-18 (tools/bench_torch.py textbook_resnet18:
            // sum of numel over parameters requiring grad); BatchNorm's running statistics are not parameters.
            assertEquals(11_178_378, model.parameterCount());
            assertFalse(model.folded());
            assertEquals("blocks", model.executionName());
            assertThrows(IllegalArgumentException.class, () -> model.forward(new float[783], 1));
            model.close();
            assertFalse(model.rootManager().isOpen(), "closing the model frees its weights");
        }
    }

    static double sum(float[] values) {
        double total = 0;
        for (float v : values) {
            total += v;
        }
        return total;
    }

    @Test
    void everyImageInABatchIsScoredOnItsOwnFeatures(@TempDir Path tmp) throws IOException {
        Path source = REPOSITORY.resolve(TestModels.NAME);
        ModelFolder plain = ModelFolder.open(ModelFolder.ModelSource.directory(source));
        int fitted = 40;
        int[] labels = new int[fitted];
        for (int i = 0; i < fitted; i++) {
            labels[i] = i % 10;
        }
        Path dir = TestModels.copyFolder(source, tmp.resolve("with-ood"));
        try (LoadedModel model = LoadedModel.load(plain, Device.cpu())) {
            FeatureGaussians gaussians = FeatureGaussians.fit(model.features(images(fitted, 3), fitted), 512, labels, 10, 0.1);
            try (var out = java.nio.file.Files.newOutputStream(dir.resolve("ood.npz"))) {
                gaussians.write(out);
            }
        }
        ModelFolder.writeSpec(dir, plain.spec().with(null, new ModelSpec.OutOfDistribution("mahalanobis", "ood.npz", 1, null)));
        float[] x = images(3, 21);
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(ModelFolder.ModelSource.directory(dir)), Device.cpu())) {
            FeatureGaussians gaussians = model.outOfDistribution().orElseThrow();
            float[] scores = model.outputs(List.of(x), 3).oodScores();
            float[] features = model.features(x, 3);
            assertEquals(3, scores.length);
            for (int i = 0; i < 3; i++) {
                assertEquals(gaussians.score(features, i * 512), scores[i], 1e-3 * Math.abs(scores[i]) + 1e-4, "image " + i);
            }
            assertTrue(scores[0] != scores[1] && scores[1] != scores[2], java.util.Arrays.toString(scores));
        }
    }
}
