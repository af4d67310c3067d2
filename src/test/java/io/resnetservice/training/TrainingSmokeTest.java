package io.resnetservice.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.support.Datasets;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingSmokeTest {

    @Test
    void lossFallsOnAFewHundredImagesAndTheRunResumesAndEvaluates(@TempDir Path out) throws Exception {
        Path data = Datasets.fashionMnist();
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(console, true, StandardCharsets.UTF_8);
        var first = new TrainCommand(new TrainCommand.Options(data, out, 4, 64, 0.05f, 5e-4f, 7, 640, false, 2, 32, 0.5f, 0.1f, 1, 16, 0.9f, TrainCommand.Precision.FP32), print);
        TrainCommand.TrainingState state = first.run();
        List<TrainCommand.EpochRecord> history = state.history();
        assertEquals(4, history.size());
        assertTrue(history.get(3).trainLoss() < history.get(0).trainLoss(),
                "loss must fall: " + history);
        assertTrue(console.toString(StandardCharsets.UTF_8).contains("img/s"), "a progress bar with throughput");
        assertTrue(console.toString(StandardCharsets.UTF_8).contains("ETA"));
        // Progressive resizing: the first epoch at 16x16, the rest at the model's 32x32.
        assertEquals(16, history.get(0).inputSize());
        assertEquals(32, history.get(1).inputSize());
        assertEquals(null, history.get(2).averagedTestAccuracy());
        assertTrue(history.get(3).averagedTestAccuracy() > 0.1, "the last epoch scores the averaged weights");
        assertTrue(Files.exists(out.resolve("checkpoints/average.ndlist")));

        // --resume with a longer schedule continues from the checkpoint rather than starting again.
        var resumed = new TrainCommand(new TrainCommand.Options(data, out, 5, 64, 0.05f, 5e-4f, 7, 640, true, 2, 32, 0.5f, 0.1f, 1, 16, 0.9f, TrainCommand.Precision.FP32), print)
                .run();
        assertEquals(5, resumed.history().size());
        assertEquals(history.get(0), resumed.history().get(0));
        assertTrue(console.toString(StandardCharsets.UTF_8).contains("resuming after epoch 4"));

        ModelFolder folder = ModelFolder.open(ModelFolder.ModelSource.directory(out));
        assertEquals(FashionMnist.LABELS, folder.labels());
        assertEquals(32, folder.spec().input().height(), "model.json records the training input size");

        CalibrateCommand.Result calibration = CalibrateCommand.run(out, data, print, 2000);
        ModelSpec calibrated = ModelFolder.open(ModelFolder.ModelSource.directory(out)).spec();
        assertEquals(calibration.temperature(), calibrated.calibration().temperature(), 1e-3);
        assertEquals(calibration.threshold(), calibrated.outOfDistribution().threshold(), 1e-3);
        try (var in = Files.newInputStream(out.resolve(CalibrateCommand.STATISTICS))) {
            var gaussians = io.resnetservice.model.FeatureGaussians.read(in);
            assertEquals(10, gaussians.classes());
            assertEquals(512, gaussians.dim(), "over the 512 penultimate features");
        }
        EvaluateCommand.Result result = EvaluateCommand.run(out, data, print, 300, 20);
        assertEquals(10_000, result.images());
        int total = 0;
        for (int[] row : result.confusion()) {
            for (int v : row) {
                total += v;
            }
        }
        assertEquals(10_000, total);
        assertTrue(result.accuracy() > 0.3, "even 640 images teach more than chance: " + result.accuracy());
        assertTrue(Files.size(out.resolve("metrics.png")) > 1000);
        String metrics = Files.readString(out.resolve("metrics.json"));
        for (String section : List.of("\"productPhotos\"", "\"white-margins\"", "\"expectedCalibrationErrorAfter\"",
                "\"inDistributionPassRate\"", "\"letters-and-digits\"", "\"aurocMaxSoftmax\"")) {
            assertTrue(metrics.contains(section), "metrics.json reports " + section);
        }
        assertTrue(metrics.contains("\"accuracy\""));
        assertTrue(metrics.contains("\"seed\" : 7"), metrics);
        assertTrue(metrics.contains("first 1 epochs at 16x16"), metrics);
        assertTrue(metrics.contains("the model holds the averaged weights"), metrics);
    }
}
