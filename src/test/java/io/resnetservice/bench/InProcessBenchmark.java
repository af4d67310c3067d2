package io.resnetservice.bench;

import ai.djl.Device;
import io.resnetservice.image.ImageDecoder;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.preprocess.Preprocessor;
import io.resnetservice.runtime.Execution;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.runtime.NativeEngine;
import io.resnetservice.support.RandomTensors;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.TestModels;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;

/**
 * In-process figures for bench/run.sh: forward images/s per batch size for a model folder, and
 * preprocessing milliseconds per image. Prints one line per figure, "key value", for the script to collect.
 *
 * <pre>java ... io.resnetservice.bench.InProcessBenchmark forward MODEL_DIR 1,4,8,16,32 SECONDS onednn|folded|folded-nchw|blocks [WORKERS]
 * java ... io.resnetservice.bench.InProcessBenchmark preprocess
 * java ... io.resnetservice.bench.InProcessBenchmark accuracy FASHION_MNIST_MODEL_DIR</pre>
 *
 * <p>With {@code WORKERS} (default 1), that many threads run forward passes on the one loaded model at
 * once, each pass with cores/WORKERS intra-op threads: {@code 2} on two cores is how the service runs
 * (one single-threaded forward per core, {@code resnet.threads.intra-op: 1}).
 *
 * <p>{@code onednn} is how the service runs a model by default (BatchNorm folded, fused oneDNN
 * convolutions with prepacked weights), {@code folded} the folded network op by op in channels-last
 * order, {@code folded-nchw} the same without channels-last, {@code blocks} DJL's block-by-block
 * forward of the same weights.
 */
public final class InProcessBenchmark {

    private InProcessBenchmark() {}

    /** A model folder of a seeded-at-random torchvision-layout ResNet-18 for 3x224x224, for benchmarks without torch. */
    static void randomImageNetModel(Path dir) {
        TestModels.writeRandomImageNet(dir);
    }

    public static void main(String[] args) {
        if (Boolean.getBoolean("bench.applyNativeSettings")) {
            // As the service's main does, before libtorch loads.
            System.out.println("native settings " + io.resnetservice.runtime.NativeSettings.apply());
        }
        switch (args[0]) {
            case "forward" -> forward(Path.of(args[1]), Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray(),
                    args.length > 3 ? Double.parseDouble(args[3]) : 4.0,
                    execution(args.length > 4 ? args[4] : "onednn"),
                    args.length > 5 ? Integer.parseInt(args[5]) : 1);
            case "preprocess" -> preprocess();
            case "random-model" -> randomImageNetModel(Path.of(args[1]));
            case "accuracy" -> accuracy(Path.of(args[1]));
            case "photo" -> photo(Path.of(args[1]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    static Execution execution(String name) {
        return switch (name) {
            case "onednn" -> Execution.DEFAULT;
            case "folded" -> Execution.FOLDED;
            case "folded-nchw" -> new Execution(true, false, false);
            case "blocks" -> Execution.BLOCKS;
            default -> throw new IllegalArgumentException("execution: onednn, folded, folded-nchw or blocks, not " + name);
        };
    }

    /** Median over repeated timed windows of images/s, after a warm-up. */
    static void forward(Path modelDir, int[] batches, double secondsPerBatch, Execution execution,
            int workers) {
        if (workers > 1) {
            int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / workers);
            NativeEngine.configureThreads(threads, 0);
        }
        try (LoadedModel model = LoadedModel.load(
                ModelFolder.open(ModelFolder.ModelSource.directory(modelDir)), Device.cpu(), execution)) {
            String exec = model.executionName();
            int size = model.preprocessor().tensorSize();
            Random random = new Random(1);
            for (int batch : batches) {
                float[] input = RandomTensors.gaussian(batch * size, random);
                double[] rates = new double[5];
                AtomicLong images = new AtomicLong();
                // Each window ends when every worker has finished its last pass, so no pass is half-counted.
                CyclicBarrier windowEdge = new CyclicBarrier(workers);
                long windowNanos = (long) (secondsPerBatch / rates.length * 1e9);
                long[] windowStart = new long[1];
                Runnable loop = () -> {
                    try {
                        for (int i = 0; i < 3; i++) {
                            model.forward(input, batch);
                        }
                        for (int w = 0; w < rates.length; w++) {
                            if (windowEdge.await() == 0) {
                                images.set(0);
                                windowStart[0] = System.nanoTime();
                            }
                            windowEdge.await();
                            long deadline = windowStart[0] + windowNanos;
                            do {
                                model.forward(input, batch);
                                images.addAndGet(batch);
                            } while (System.nanoTime() < deadline);
                            if (windowEdge.await() == 0) {
                                rates[w] = images.get() / ((System.nanoTime() - windowStart[0]) / 1e9);
                            }
                        }
                    } catch (InterruptedException | BrokenBarrierException e) {
                        throw new IllegalStateException(e);
                    }
                };
                List<Thread> threads = new java.util.ArrayList<>();
                for (int t = 0; t < workers; t++) {
                    Thread thread = new Thread(loop, "bench-" + t);
                    thread.start();
                    threads.add(thread);
                }
                for (Thread thread : threads) {
                    try {
                        thread.join();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }
                Arrays.sort(rates);
                System.out.printf(Locale.ROOT, "forward %s exec=%s batch=%d%s images_per_s=%.1f%n",
                        model.name(), exec, batch, workers > 1 ? " workers=" + workers : "", rates[2]);
            }
        }
    }

    /** Top-1 accuracy of a Fashion-MNIST model folder on the 10,000 test images, run as the service runs it. */
    static void accuracy(Path modelDir) {
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(ModelFolder.ModelSource.directory(modelDir)), Device.cpu())) {
            io.resnetservice.training.FashionMnist.Split test = io.resnetservice.training.FashionMnist.test(
                    io.resnetservice.training.FashionMnist.DEFAULT_DIR);
            float[][] logits = io.resnetservice.training.Evaluation.logits(model,
                    io.resnetservice.training.FashionMnist.prepare(test, model.spec()), 500);
            System.out.printf(Locale.ROOT, "accuracy %s exec=%s precision=%s images=%d accuracy=%.4f%n", model.name(),
                    model.executionName(), model.precision().label(), logits.length,
                    io.resnetservice.training.Evaluation.accuracy(logits,
                            io.resnetservice.training.FashionMnist.prepare(test, model.spec())));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void preprocess() {
        BufferedImage photo = new BufferedImage(1024, 768, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = photo.createGraphics();
        g.setPaint(new GradientPaint(0, 0, new Color(20, 60, 160), 1024, 768, new Color(230, 190, 90)));
        g.fillRect(0, 0, 1024, 768);
        g.setColor(Color.RED);
        g.fillOval(300, 200, 400, 300);
        g.dispose();
        byte[] jpeg = TestImages.jpeg(photo, 0.9f);
        byte[] png = TestImages.png(TestImages.grey(28, 28, 3));
        var imagenet = new Preprocessor(TestModels.IMAGENET_INPUT, TestModels.IMAGENET_PREPROCESS);
        ModelSpec shipped = ModelFolder.embedded().spec();
        var fashion = new Preprocessor(shipped.input(), shipped.preprocess());
        ImageDecoder decoder = new ImageDecoder(40_000_000);
        System.out.printf(Locale.ROOT, "preprocess jpeg1024x768_to_224 median_ms=%.2f%n", median(() -> served(decoder, imagenet, jpeg), 60));
        // The HTTP benchmark's upload: what a request thread spends per image when the photo is already small.
        byte[] small = TestImages.jpeg(scaled(photo, 224, 224), 0.9f);
        System.out.printf(Locale.ROOT, "preprocess jpeg224x224_to_224 median_ms=%.3f%n", median(() -> served(decoder, imagenet, small), 1000));
        float[] scores = new float[1000];
        java.util.Random random = new java.util.Random(1);
        for (int i = 0; i < scores.length; i++) {
            scores[i] = random.nextFloat();
        }
        List<String> labels = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "class " + i).toList();
        System.out.printf(Locale.ROOT, "preprocess top5_of_1000 median_ms=%.4f%n", median(
                () -> io.resnetservice.serving.TopK.of(scores, labels, 5), 2000));
        System.out.printf(Locale.ROOT, "preprocess png28_to_%d median_ms=%.3f%n", shipped.input().width(),
                median(() -> served(decoder, fashion, png), 2000));
    }

    /** Decode and preprocess as a request does: planned from the header, reduced where the model allows. */
    static float[] served(ImageDecoder decoder, Preprocessor preprocessor, byte[] image) {
        return preprocessor.apply(decoder.decode(image, decoder.plan(image, preprocessor::resizedSize)));
    }

    /**
     * One photo file (bench/photos.sh makes a 4032x3024 JPEG from real photographs), one thread, for the
     * ImageNet recipe at 224 and the shipped model's: decoded at full size by ImageIO (what the service did
     * before it planned decodes), reduced by ImageIO, and reduced by TurboJPEG where the library is present.
     */
    static void photo(Path file) {
        byte[] bytes;
        try {
            bytes = java.nio.file.Files.readAllBytes(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        var imagenet = new Preprocessor(TestModels.IMAGENET_INPUT, TestModels.IMAGENET_PREPROCESS);
        ModelSpec shipped = ModelFolder.embedded().spec();
        var fashion = new Preprocessor(shipped.input(), shipped.preprocess());
        ImageDecoder imageIo = new ImageDecoder(100_000_000, false);
        ImageDecoder turbo = new ImageDecoder(100_000_000, true);
        String name = file.getFileName().toString().replaceAll("\\.[a-z]+$", "");
        for (var recipe : List.of(Map.entry("224", imagenet), Map.entry("fashion", fashion))) {
            Preprocessor pre = recipe.getValue();
            System.out.printf(Locale.ROOT, "photo %s to=%s path=imageio-full median_ms=%.1f%n", name, recipe.getKey(),
                    median(() -> pre.apply(imageIo.decode(bytes)), 15));
            System.out.printf(Locale.ROOT, "photo %s to=%s path=imageio-reduced median_ms=%.1f%n", name, recipe.getKey(),
                    median(() -> served(imageIo, pre, bytes), 15));
            if (ImageDecoder.turboJpegAvailable()) {
                System.out.printf(Locale.ROOT, "photo %s to=%s path=turbojpeg-reduced median_ms=%.1f%n", name,
                        recipe.getKey(), median(() -> served(turbo, pre, bytes), 60));
            }
        }
    }

    private static BufferedImage scaled(BufferedImage image, int width, int height) {
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, width, height, null);
        g.dispose();
        return out;
    }

    static double median(Runnable work, int runs) {
        // Warm up until the JIT has compiled the loops: a server runs them millions of times. With 12
        // warm-up runs the JPEG figure was 30 ms, the steady state 7 ms.
        long warmUntil = System.nanoTime() + 2_000_000_000L;
        for (int i = 0; i < runs || System.nanoTime() < warmUntil; i++) {
            work.run();
        }
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            work.run();
            ms[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(ms);
        return ms[runs / 2];
    }
}
