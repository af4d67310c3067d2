package io.resnetservice.training;

import io.resnetservice.image.ImageDecoder;
import io.resnetservice.model.FeatureGaussians;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.preprocess.Preprocessor;
import io.resnetservice.runtime.LoadedModel;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The part of {@code evaluate} about real photos: accuracy on product-photo renderings of the test set
 * ({@link ProductPhotos}), calibration error before and after temperature scaling, and how well the
 * out-of-distribution score separates the test set from images that are not clothing
 * ({@link OutOfDistribution}). Held-out figures use the test images {@code calibrate} did not fit on.
 */
final class TrustReport {

    static final int OOD_IMAGES = 500;
    static final int BINS = 15;

    private TrustReport() {}

    static Map<String, Object> run(LoadedModel model, FashionMnist.Split test, int outsideImages, PrintStream console) {
        ModelSpec spec = model.spec();
        Map<String, Object> report = new LinkedHashMap<>();

        Map<String, Object> framing = new LinkedHashMap<>();
        framing.put("crop", spec.preprocess().crop().name().toLowerCase(Locale.ROOT));
        console.printf(Locale.ROOT, "product photos made from the %d test images (crop %s):%n", test.count(),
                spec.preprocess().crop().name().toLowerCase(Locale.ROOT));
        for (ProductPhotos.Variant variant : ProductPhotos.Variant.values()) {
            FashionMnist.Prepared prepared = ProductPhotos.prepare(test, variant, spec);
            double accuracy = Evaluation.accuracy(Evaluation.logits(model, prepared, CalibrateCommand.BATCH), prepared);
            console.printf(Locale.ROOT, "  %-26s %.4f  (%s)%n", variant.id, accuracy, variant.description);
            framing.put(variant.id, ordered("accuracy", round(accuracy), "images", test.count(), "made", variant.description));
        }
        report.put("productPhotos", framing);

        int fitted = Math.min(CalibrateCommand.HELD_OUT, test.count() / 2);
        FashionMnist.Split all = test;
        FashionMnist.Prepared prepared = FashionMnist.prepare(all, spec);
        float[][] logits = Evaluation.logits(model, prepared, CalibrateCommand.BATCH);
        int[] labels = CalibrateCommand.labels(all);
        float[][] reportLogits = Arrays.copyOfRange(logits, fitted, logits.length);
        int[] reportLabels = Arrays.copyOfRange(labels, fitted, labels.length);
        String reportedOn = "the last " + reportLogits.length + " test images (calibrate fits on the first " + fitted + ")";

        double temperature = spec.calibration() == null ? 1 : spec.calibration().temperature();
        double before = Reliability.expectedCalibrationError(softmax(reportLogits, 1), reportLabels, BINS);
        double after = Reliability.expectedCalibrationError(softmax(reportLogits, temperature), reportLabels, BINS);
        console.printf(Locale.ROOT, "calibration on %s: temperature %.4f, expected calibration error %.4f before, %.4f after%n",
                reportedOn, temperature, before, after);
        Map<String, Object> calibration = new LinkedHashMap<>();
        calibration.put("temperature", temperature);
        calibration.put("reportedOn", reportedOn);
        calibration.put("bins", BINS);
        calibration.put("expectedCalibrationErrorBefore", round(before));
        calibration.put("expectedCalibrationErrorAfter", round(after));
        report.put("calibration", calibration);

        FeatureGaussians gaussians = model.outOfDistribution().orElse(null);
        if (gaussians == null) {
            console.println("no out-of-distribution statistics: run calibrate first");
            return report;
        }
        double threshold = spec.outOfDistribution().threshold();
        float[] inside = Arrays.copyOfRange(CalibrateCommand.scores(gaussians,
                CalibrateCommand.features(model, prepared), model.featureWidth()), fitted, logits.length);
        float[] insideSoftmax = softmaxScores(reportLogits);
        double passRate = Reliability.passRate(inside, threshold);
        console.printf(Locale.ROOT, "out of distribution (Mahalanobis distance over %.3f): %.4f of %s pass%n", threshold, passRate,
                reportedOn);
        Map<String, Object> ood = new LinkedHashMap<>();
        ood.put("method", spec.outOfDistribution().method());
        ood.put("threshold", threshold);
        ood.put("inDistributionPassRate", round(passRate));
        ood.put("reportedOn", reportedOn);
        Map<String, Object> sets = new LinkedHashMap<>();
        Preprocessor preprocessor = model.preprocessor();
        ImageDecoder decoder = new ImageDecoder(100_000_000L);
        for (OutOfDistribution.Set set : OutOfDistribution.all(outsideImages)) {
            int n = set.files().size();
            float[] tensors = new float[n * preprocessor.tensorSize()];
            for (int i = 0; i < n; i++) {
                byte[] file = set.files().get(i);
                preprocessor.applyFile(decoder, file, tensors, i * preprocessor.tensorSize());
            }
            FashionMnist.Prepared outside = new FashionMnist.Prepared(tensors, new byte[n], n, spec.input().channels(),
                    spec.input().width());
            float[] scores = CalibrateCommand.scores(gaussians, CalibrateCommand.features(model, outside), model.featureWidth());
            double auroc = Reliability.auroc(inside, scores);
            double baseline = Reliability.auroc(insideSoftmax, softmaxScores(Evaluation.logits(model, outside, CalibrateCommand.BATCH)));
            double falsePositives = Reliability.passRate(scores, threshold);
            console.printf(Locale.ROOT, "  %-20s %d images: AUROC %.4f (max-softmax baseline %.4f), %.4f pass as clothing%n",
                    set.id(), n, auroc, baseline, falsePositives);
            sets.put(set.id(), ordered("images", n, "auroc", round(auroc), "aurocMaxSoftmax", round(baseline),
                    "falsePositiveRate", round(falsePositives), "made", set.description()));
        }
        ood.put("sets", sets);
        report.put("outOfDistribution", ood);
        return report;
    }

    /** 1 - the top probability: the max-softmax baseline, oriented as a distance (higher: more unlike). */
    private static float[] softmaxScores(float[][] logits) {
        float[][] p = softmax(logits, 1);
        float[] scores = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            scores[i] = 1 - p[i][Evaluation.argmax(p[i])];
        }
        return scores;
    }

    static float[][] softmax(float[][] logits, double temperature) {
        float[][] out = new float[logits.length][];
        for (int i = 0; i < logits.length; i++) {
            out[i] = LoadedModel.softmax(logits[i], 0, logits[i].length, temperature);
        }
        return out;
    }

    private static double round(double v) {
        return Math.round(v * 10000) / 10000.0;
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }
}
