package io.resnetservice.training;

import ai.djl.Device;
import io.resnetservice.image.ImageDecoder;
import io.resnetservice.model.Int8Parameters;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.preprocess.Preprocessor;
import io.resnetservice.runtime.Int8Calibration;
import io.resnetservice.runtime.LoadedModel;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * {@code quantize}: post-training static quantization of a model folder into a new folder that serves
 * in int8 ({@link io.resnetservice.runtime.Int8ResNet}). The calibration images run through the float
 * network (BatchNorm folded) to fix every activation's 8-bit encoding; weights get a symmetric scale per
 * output channel. The new folder holds the same float weights plus {@value #PARAMETERS}, quantized
 * when it loads. Where labels are known (Fashion-MNIST) it refits the out-of-distribution statistics and
 * the temperature on the int8 network (as {@code calibrate} does) and reports both models' test accuracy.
 */
public final class QuantizeCommand {

    public static final String PARAMETERS = "int8-parameters.npz";
    public static final String FASHION_MNIST = "fashion-mnist";
    static final int DEFAULT_IMAGES = 2000;
    private static final int BATCH = 100;
    private static final List<String> IMAGE_SUFFIXES = List.of(".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp");

    /**
     * What quantization did: the new folder, both models' accuracy (NaN without labels), their top-1 agreement and
     * the cosine similarity of their logits per image.
     */
    public record Result(Path folder, long calibrationImages, double fp32Accuracy, double int8Accuracy, double agreement,
            double meanCosine, double lowestCosine, int evaluated) {}

    private QuantizeCommand() {}

    public static void main(String[] args) throws Exception {
        CommandLine cl = new CommandLine(args);
        Path model = cl.path("--model", null);
        Path out = cl.path("--out", null);
        String calibration = cl.string("--calibration", null);
        if (model == null || out == null || calibration == null) {
            System.err.println("usage: quantize --model DIR --calibration (fashion-mnist|IMAGE_DIR) --out DIR"
                    + " [--observer minmax|percentile] [--images N] [--test-images N] [--compare IMAGE_DIR]"
                    + " [--refit-images N] [--data FASHION_MNIST_DIR]");
            System.exit(2);
        }
        run(model, calibration, out, Int8Calibration.Observer.valueOf(cl.string("--observer", "percentile")
                .toUpperCase(Locale.ROOT)), cl.integer("--images", DEFAULT_IMAGES), cl.integer("--test-images", 10000),
                cl.integer("--refit-images", Integer.MAX_VALUE), cl.path("--compare", null),
                cl.path("--data", FashionMnist.DEFAULT_DIR), System.out);
    }

    /**
     * Quantizes the folder {@code modelDir} with up to {@code images} calibration images from {@code
     * calibration} ({@value #FASHION_MNIST}: the training set; otherwise a folder of images) into {@code
     * outDir}, then compares both models on up to {@code testImages} Fashion-MNIST test images (labelled),
     * or the images of {@code compareDir} when given, or else the calibration images (agreement only). With
     * Fashion-MNIST, the out-of-distribution statistics are refitted on the first {@code refitImages} training
     * images.
     */
    public static Result run(Path modelDir, String calibration, Path outDir, Int8Calibration.Observer observer, int images,
            int testImages, int refitImages, Path compareDir, Path dataDir, PrintStream console) throws IOException {
        ModelFolder folder = ModelFolder.open(ModelFolder.ModelSource.directory(modelDir));
        ModelSpec spec = folder.spec();
        if (spec.precision() != ModelSpec.Precision.FP32) {
            throw new IllegalArgumentException(modelDir + " is already " + spec.precision().label()
                    + "; quantize the fp32 model it was made from");
        }
        boolean fashion = FASHION_MNIST.equals(calibration);
        float[] tensors;
        int count;
        String source;
        int tensorSize = new Preprocessor(spec.input(), spec.preprocess()).tensorSize();
        if (fashion) {
            FashionMnist.Prepared train = FashionMnist.prepare(FashionMnist.train(dataDir).first(images), spec);
            tensors = train.tensors();
            count = train.count();
            source = "the first " + count + " Fashion-MNIST training images";
        } else {
            tensors = imageFolder(Path.of(calibration), spec, images);
            count = tensors.length / tensorSize;
            source = count + " images from " + Path.of(calibration).getFileName();
        }
        long start = System.nanoTime();
        Int8Parameters parameters;
        try (Int8Calibration observed = Int8Calibration.open(folder, observer)) {
            for (int from = 0; from < count; from += BATCH) {
                int n = Math.min(BATCH, count - from);
                observed.observe(Arrays.copyOfRange(tensors, from * tensorSize, (from + n) * tensorSize), n);
                console.printf(Locale.ROOT, "\rcalibrating (%s): %d / %d images", observer.name().toLowerCase(Locale.ROOT), from + n, count);
            }
            console.println();
            parameters = observed.parameters();
        }
        console.printf(Locale.ROOT, "observed %d activations and %d convolutions in %.1f s%n", parameters.activations().size(),
                parameters.weightScales().size(), (System.nanoTime() - start) / 1e9);

        write(modelDir, outDir, spec, parameters, new ModelSpec.Quantization(PARAMETERS,
                observer.name().toLowerCase(Locale.ROOT), source, (long) count));
        console.printf(Locale.ROOT, "wrote %s%n", outDir);
        if (spec.outOfDistribution() != null) {
            if (fashion) {
                // int8 features lie a little off the float ones: the float threshold flagged twice its share.
                console.println("refitting the out-of-distribution statistics and the temperature on the int8 network");
                CalibrateCommand.run(outDir, dataDir, console, refitImages);
            } else {
                console.println("note: the out-of-distribution statistics and threshold are the float network's;"
                        + " refit them on the int8 network's features before relying on them");
            }
        }

        ModelFolder quantized = ModelFolder.open(ModelFolder.ModelSource.directory(outDir));
        float[] compare;
        int compared;
        byte[] labels = null;
        if (compareDir != null) {
            compare = imageFolder(compareDir, spec, testImages);
            compared = compare.length / tensorSize;
        } else if (fashion) {
            FashionMnist.Prepared test = FashionMnist.prepare(FashionMnist.test(dataDir).first(testImages), spec);
            compare = test.tensors();
            compared = test.count();
            labels = test.labels();
        } else {
            compare = tensors;
            compared = count;
        }
        float[][] fp32 = logits(folder, compare, compared, tensorSize);
        float[][] int8 = logits(quantized, compare, compared, tensorSize);
        int agree = 0;
        int fp32Right = 0;
        int int8Right = 0;
        double cosineSum = 0;
        double cosineMin = 1;
        for (int i = 0; i < compared; i++) {
            int a = Evaluation.argmax(fp32[i]);
            int b = Evaluation.argmax(int8[i]);
            agree += a == b ? 1 : 0;
            if (labels != null) {
                fp32Right += a == labels[i] ? 1 : 0;
                int8Right += b == labels[i] ? 1 : 0;
            }
            double cosine = Reliability.cosine(fp32[i], int8[i]);
            cosineSum += cosine;
            cosineMin = Math.min(cosineMin, cosine);
        }
        double agreement = (double) agree / compared;
        double fp32Accuracy = labels == null ? Double.NaN : (double) fp32Right / compared;
        double int8Accuracy = labels == null ? Double.NaN : (double) int8Right / compared;
        double meanCosine = cosineSum / compared;
        if (labels != null) {
            console.printf(Locale.ROOT, "Fashion-MNIST test set, %d images: fp32 accuracy %.4f, int8 %.4f (%+.2f points);"
                    + " top-1 agreement %.4f%n", compared, fp32Accuracy, int8Accuracy, 100 * (int8Accuracy - fp32Accuracy),
                    agreement);
        } else {
            console.printf(Locale.ROOT, "%d %s images: fp32 and int8 agree on the top class of %.4f%n", compared,
                    compareDir == null ? "calibration" : "comparison", agreement);
        }
        console.printf(Locale.ROOT, "cosine similarity of the int8 logits to fp32's: mean %.5f, lowest %.5f%n", meanCosine, cosineMin);
        return new Result(outDir, count, fp32Accuracy, int8Accuracy, agreement, meanCosine, cosineMin, compared);
    }

    /** Copies the folder's files (not its checkpoints), adds the parameters and says int8 in model.json. */
    static void write(Path modelDir, Path outDir, ModelSpec spec, Int8Parameters parameters,
            ModelSpec.Quantization quantization) throws IOException {
        Files.createDirectories(outDir);
        try (Stream<Path> files = Files.list(modelDir)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, outDir.resolve(file.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        try (OutputStream out = Files.newOutputStream(outDir.resolve(PARAMETERS))) {
            parameters.write(out);
        }
        Files.deleteIfExists(outDir.resolve(ModelFolder.METRICS_FILE));
        ModelFolder.writeSpec(outDir, spec.with(spec.name() + "-int8", ModelSpec.Precision.INT8, quantization));
    }

    private static float[][] logits(ModelFolder folder, float[] tensors, int count, int tensorSize) {
        float[][] out = new float[count][];
        try (LoadedModel model = LoadedModel.load(folder, Device.cpu())) {
            for (int from = 0; from < count; from += BATCH) {
                int n = Math.min(BATCH, count - from);
                float[][] logits = model.logits(Arrays.copyOfRange(tensors, from * tensorSize,
                        (from + n) * tensorSize), n);
                System.arraycopy(logits, 0, out, from, n);
            }
        }
        return out;
    }


    /** Up to {@code limit} images of {@code dir} (sorted by name), through the model's own decoding and preprocessing. */
    static float[] imageFolder(Path dir, ModelSpec spec, int limit) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--calibration must be \"" + FASHION_MNIST + "\" or a folder of images: "
                    + dir + " is neither");
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(f -> IMAGE_SUFFIXES.stream().anyMatch(s -> f.getFileName().toString()
                    .toLowerCase(Locale.ROOT).endsWith(s))).sorted().limit(limit).toList();
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(dir + " holds no images (" + String.join(", ", IMAGE_SUFFIXES) + ")");
        }
        Preprocessor preprocessor = new Preprocessor(spec.input(), spec.preprocess());
        ImageDecoder decoder = new ImageDecoder(Long.MAX_VALUE);
        float[] out = new float[files.size() * preprocessor.tensorSize()];
        List<String> failed = new ArrayList<>();
        int i = 0;
        for (Path file : files) {
            try {
                byte[] bytes = Files.readAllBytes(file);
                preprocessor.applyFile(decoder, bytes, out, i * preprocessor.tensorSize());
                i++;
            } catch (RuntimeException e) {
                failed.add(file.getFileName() + " (" + e.getMessage() + ")");
            }
        }
        if (!failed.isEmpty()) {
            throw new IllegalArgumentException("cannot read " + failed.size() + " calibration images: " + failed);
        }
        return out;
    }
}
