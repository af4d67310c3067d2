package io.resnetservice.training;

import ai.djl.Device;
import io.resnetservice.model.FeatureGaussians;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.runtime.Execution;
import io.resnetservice.runtime.LoadedModel;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code calibrate}: fits what a Fashion-MNIST model folder needs to say how far to trust an answer, and
 * writes it into the folder. Class-conditional Gaussians over the penultimate features of the training
 * set ({@value #STATISTICS}); then, on held-out images (the first half of the test set, which training
 * never saw), the softmax temperature that minimises their negative log-likelihood and the
 * out-of-distribution threshold that a share {@value #PASS_RATE} of them stay below. {@code evaluate} reports
 * on the other half.
 */
public final class CalibrateCommand {

    public static final String STATISTICS = "ood-statistics.npz";
    /**
     * Share of the fitting half below the threshold. Above the 95 % that unseen test images should pass:
     * the fitting half's 95th percentile let 94.7 % of the other half through.
     */
    public static final double PASS_RATE = 0.96;
    /** Shrinkage of the shared covariance towards its mean variance. */
    static final double SHRINKAGE = 0.001;
    /** Test images used for fitting; the rest are for reporting. */
    public static final int HELD_OUT = 5000;
    static final int BATCH = 500;

    public record Result(double temperature, double threshold) {}

    private CalibrateCommand() {}

    public static void main(String[] args) throws Exception {
        CommandLine cl = new CommandLine(args);
        run(cl.path("--model", Path.of("models/fashion-mnist-resnet18")), cl.path("--data", FashionMnist.DEFAULT_DIR),
                System.out);
    }

    public static Result run(Path modelDir, Path dataDir, PrintStream console) throws IOException {
        return run(modelDir, dataDir, console, Integer.MAX_VALUE);
    }

    /** As {@link #run(Path, Path, PrintStream)}, the Gaussians fitted on the first {@code trainImages} training images. */
    public static Result run(Path modelDir, Path dataDir, PrintStream console, int trainImages) throws IOException {
        ModelFolder folder = ModelFolder.open(ModelFolder.ModelSource.directory(modelDir));
        ModelSpec spec = folder.spec();
        FashionMnist.Split train = FashionMnist.train(dataDir).first(trainImages);
        FashionMnist.Split fit = FashionMnist.test(dataDir).first(HELD_OUT);
        try (LoadedModel model = LoadedModel.load(folder, Device.cpu(), Execution.DEFAULT)) {
            long start = System.nanoTime();
            float[] features = features(model, FashionMnist.prepare(train, spec));
            FeatureGaussians gaussians = FeatureGaussians.fit(features, model.featureWidth(), labels(train),
                    folder.labels().size(), SHRINKAGE);
            console.printf(Locale.ROOT, "class-conditional Gaussians over %d features of %d training images (%.0f s)%n",
                    model.featureWidth(), train.count(), (System.nanoTime() - start) / 1e9);

            FashionMnist.Prepared held = FashionMnist.prepare(fit, spec);
            double temperature = Reliability.fitTemperature(Evaluation.logits(model, held, BATCH), labels(fit));
            float[] scores = scores(gaussians, features(model, held), model.featureWidth());
            double threshold = Reliability.quantile(scores, PASS_RATE);
            console.printf(Locale.ROOT, "on the first %d test images: temperature %.4f, out-of-distribution threshold %.3f"
                    + " (%.0f %% of them pass)%n", fit.count(), temperature, threshold, 100 * PASS_RATE);

            try (OutputStream out = Files.newOutputStream(modelDir.resolve(STATISTICS))) {
                gaussians.write(out);
            }
            String heldOut = "the first " + fit.count() + " Fashion-MNIST test images";
            ModelFolder.writeSpec(modelDir, spec.with(new ModelSpec.Calibration(round(temperature), heldOut),
                    new ModelSpec.OutOfDistribution("mahalanobis", STATISTICS, round(threshold), PASS_RATE)));
            console.printf(Locale.ROOT, "wrote %s and %s%n", modelDir.resolve(STATISTICS), modelDir.resolve(ModelSpec.FILE_NAME));
            return new Result(temperature, threshold);
        }
    }

    /** Penultimate features of every prepared image, {@code featureWidth} each, end to end. */
    static float[] features(LoadedModel model, FashionMnist.Prepared split) {
        int tensor = split.tensorSize();
        int width = model.featureWidth();
        float[] out = new float[split.count() * width];
        for (int start = 0; start < split.count(); start += BATCH) {
            int n = Math.min(BATCH, split.count() - start);
            float[] batch = Arrays.copyOfRange(split.tensors(), start * tensor, (start + n) * tensor);
            System.arraycopy(model.features(batch, n), 0, out, start * width, n * width);
        }
        return out;
    }

    static float[] scores(FeatureGaussians gaussians, float[] features, int width) {
        float[] scores = new float[features.length / width];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = (float) gaussians.score(features, i * width);
        }
        return scores;
    }

    static int[] labels(FashionMnist.Split split) {
        int[] labels = new int[split.count()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = split.label(i);
        }
        return labels;
    }

    private static double round(double v) {
        return Math.round(v * 10000) / 10000.0;
    }
}
