package io.resnetservice.training;

import ai.djl.Device;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.runtime.Execution;
import io.resnetservice.runtime.LoadedModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code evaluate}: runs a Fashion-MNIST model folder over all 10,000 test images and writes
 * {@code metrics.json} (accuracy, per-class accuracy, confusion matrix, and the training run's facts
 * when its checkpoint state is there) and {@code metrics.png} (confusion matrix and training curves).
 */
public final class EvaluateCommand {

    public record Result(double accuracy, Map<String, Double> perClassAccuracy, int[][] confusion, int images) {}

    private EvaluateCommand() {}

    public static void main(String[] args) throws Exception {
        CommandLine cl = new CommandLine(args);
        Path model = cl.path("--model", Path.of("models/fashion-mnist-resnet18"));
        Path data = cl.path("--data", FashionMnist.DEFAULT_DIR);
        run(model, data, System.out, cl.integer("--trust-images", Integer.MAX_VALUE),
                cl.integer("--outside-images", TrustReport.OOD_IMAGES));
    }

    public static Result run(Path modelDir, Path dataDir, PrintStream console) throws IOException {
        return run(modelDir, dataDir, console, Integer.MAX_VALUE, TrustReport.OOD_IMAGES);
    }

    /**
     * As {@link #run(Path, Path, PrintStream)}, with the real-photo report over the first {@code trustImages}
     * test images and {@code outsideImages} per out-of-distribution set (the command uses them all and 500).
     */
    public static Result run(Path modelDir, Path dataDir, PrintStream console, int trustImages, int outsideImages)
            throws IOException {
        ModelFolder folder = ModelFolder.open(ModelFolder.ModelSource.directory(modelDir));
        FashionMnist.Split test = FashionMnist.test(dataDir);
        long start = System.nanoTime();
        float[][] logits;
        Map<String, Object> trust;
        Result result;
        try (LoadedModel model = LoadedModel.load(folder, Device.cpu(), Execution.BLOCKS)) {
            logits = Evaluation.logits(model, FashionMnist.prepare(test, folder.spec()), 500);
            double seconds = (System.nanoTime() - start) / 1e9;
            result = score(logits, test, folder.labels());
            console.printf(Locale.ROOT, "Fashion-MNIST test set: %d images, accuracy %.4f (%.1f s)%n", result.images(), result.accuracy(), seconds);
            trust = TrustReport.run(model, test.first(trustImages), outsideImages, console);
        }
        console.println("per-class accuracy:");
        result.perClassAccuracy().forEach((label, acc) -> console.printf(Locale.ROOT, "  %-12s %.4f%n", label, acc));
        console.println("confusion matrix (rows: true class, columns: predicted):");
        for (int[] row : result.confusion()) {
            StringBuilder line = new StringBuilder("  ");
            for (int v : row) {
                line.append(String.format(Locale.ROOT, "%5d", v));
            }
            console.println(line);
        }

        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("dataset", "Fashion-MNIST test set (10,000 images, Debian dataset-fashion-mnist)");
        metrics.put("testImages", result.images());
        metrics.put("accuracy", round(result.accuracy()));
        metrics.put("perClassAccuracy", result.perClassAccuracy());
        metrics.put("confusionMatrix", result.confusion());
        metrics.putAll(trust);
        Path state = modelDir.resolve("checkpoints").resolve("state.json");
        List<TrainCommand.EpochRecord> history = List.of();
        if (Files.exists(state)) {
            TrainCommand.TrainingState training = TrainCommand.readState(modelDir.resolve("checkpoints"));
            history = training.history();
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("epochs", training.epochsDone());
            t.put("trainingSeconds", Math.round(training.trainingSeconds()));
            t.put("seed", training.options().seed());
            t.put("batchSize", training.options().batchSize());
            t.put("peakLearningRate", training.options().peakLearningRate());
            t.put("weightDecay", training.options().weightDecay());
            t.put("inputSize", training.options().inputSize());
            t.put("augmentation", "random crop with " + training.options().cropPadding() + " px padding, horizontal flip"
                    + (training.options().eraseProbability() > 0
                            ? ", random erasing with probability " + training.options().eraseProbability() : ""));
            t.put("labelSmoothing", training.options().labelSmoothing());
            if (training.options().lowResEpochs() > 0) {
                t.put("progressiveResizing", "first " + training.options().lowResEpochs() + " epochs at "
                        + training.options().lowResSize() + "x" + training.options().lowResSize());
            }
            if (training.options().averageDecay() > 0) {
                t.put("weightAverage", "exponential moving average of the weights, decay "
                        + training.options().averageDecay() + " per step; the model holds the averaged weights");
            }
            t.put("precision", training.options().precision().description());
            t.put("schedule", "SGD momentum 0.9, linear warm-up over 10% of steps then cosine decay");
            t.put("cores", Runtime.getRuntime().availableProcessors());
            t.put("history", history);
            metrics.put("training", t);
        } else if (folder.metrics().get("training") instanceof Map<?, ?> earlier) {
            // A shipped folder has no checkpoints: keep the training facts its metrics.json already holds.
            metrics.put("training", earlier);
            if (earlier.get("history") != null) {
                history = Json.MAPPER.convertValue(earlier.get("history"),
                        new tools.jackson.core.type.TypeReference<List<TrainCommand.EpochRecord>>() {});
            }
        }
        Files.writeString(modelDir.resolve(ModelFolder.METRICS_FILE), Json.MAPPER.writeValueAsString(metrics) + "\n");
        MetricsChart.write(modelDir.resolve("metrics.png"), result, folder.labels(), history);
        console.printf(Locale.ROOT, "wrote %s and %s%n", modelDir.resolve(ModelFolder.METRICS_FILE), modelDir.resolve("metrics.png"));
        return result;
    }

    static Result score(float[][] logits, FashionMnist.Split split, List<String> labels) {
        int classes = labels.size();
        int[][] confusion = new int[classes][classes];
        int correct = 0;
        for (int i = 0; i < logits.length; i++) {
            int predicted = Evaluation.argmax(logits[i]);
            confusion[split.label(i)][predicted]++;
            if (predicted == split.label(i)) {
                correct++;
            }
        }
        Map<String, Double> perClass = new LinkedHashMap<>();
        for (int c = 0; c < classes; c++) {
            int total = 0;
            for (int v : confusion[c]) {
                total += v;
            }
            perClass.put(labels.get(c), total == 0 ? 0.0 : round((double) confusion[c][c] / total));
        }
        return new Result((double) correct / logits.length, perClass, confusion, logits.length);
    }

    private static double round(double v) {
        return Math.round(v * 10000) / 10000.0;
    }
}
