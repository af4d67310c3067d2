package io.resnetservice.training;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.model.ResNet;
import io.resnetservice.model.ResNetArchitecture;
import io.resnetservice.model.ResNetVariant;
import io.resnetservice.model.ResidualBlock;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * {@code train}: trains the textbook ResNet-18 on Fashion-MNIST and writes a model folder.
 *
 * <p>Recipe: SGD with momentum 0.9 and weight decay, a one-cycle learning rate (linear warm-up, cosine
 * decay), random crop with padding, horizontal flips and random erasing, optionally smoothed labels,
 * Kaiming-normal convolutions and each residual branch's last BatchNorm scale at zero so every block
 * starts as the identity. Optionally the first epochs run on smaller images (progressive resizing: an
 * epoch at 28x28 costs under half of one at 56x56) and the model written is an exponential moving
 * average of the weights.
 */
public final class TrainCommand {

    public record Options(
            Path data, Path out, int epochs, int batchSize, float peakLearningRate, float weightDecay,
            long seed, int limit, boolean resume, int cropPadding, int inputSize, float eraseProbability,
            float labelSmoothing, int lowResEpochs, int lowResSize, float averageDecay, Precision precision) {

        public Options {
            if (precision == null) {
                precision = Precision.FP32; // checkpoints written before the option existed
            }
            if (lowResEpochs < 0 || (lowResEpochs > 0 && lowResEpochs >= epochs)) {
                throw new IllegalArgumentException("--low-res-epochs must leave at least one epoch at --input-size");
            }
            if (lowResEpochs > 0 && (lowResSize < 8 || lowResSize > inputSize)) {
                throw new IllegalArgumentException("--low-res-size must lie in [8, --input-size], got " + lowResSize);
            }
            if (averageDecay != 0 && !(averageDecay > 0 && averageDecay < 1)) {
                throw new IllegalArgumentException("--ema must be 0 (off) or in (0, 1), got " + averageDecay);
            }
        }

        /** Side of the images of a (zero-based) epoch. */
        public int sizeAt(int epoch) {
            return epoch < lowResEpochs ? lowResSize : inputSize;
        }

        static Options parse(String[] args) {
            CommandLine cl = new CommandLine(args);
            return new Options(
                    cl.path("--data", FashionMnist.DEFAULT_DIR),
                    cl.path("--out", Path.of("models/fashion-mnist-resnet18")),
                    cl.integer("--epochs", 12),
                    cl.integer("--batch-size", 128),
                    (float) cl.decimal("--lr", 0.1),
                    (float) cl.decimal("--weight-decay", 5e-4),
                    cl.integer("--seed", 42),
                    cl.integer("--limit", 0),
                    cl.flag("--resume"),
                    cl.integer("--crop-padding", 4),
                    cl.integer("--input-size", 56),
                    (float) cl.decimal("--erase", 0.5),
                    (float) cl.decimal("--label-smoothing", 0),
                    cl.integer("--low-res-epochs", 0),
                    cl.integer("--low-res-size", FashionMnist.SIZE),
                    (float) cl.decimal("--ema", 0),
                    Precision.parse(cl.string("--precision", "fp32")));
        }
    }

    /** Arithmetic of the training forward and backward; weights and optimizer are float32 either way. */
    public enum Precision {
        FP32("float32"),
        BF16("bfloat16 convolutions, fully connected layer and activations; float32 weights, BatchNorm "
                + "statistics, loss and optimizer (as PyTorch's CPU autocast)");

        private final String description;

        Precision(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }

        static Precision parse(String value) {
            try {
                return valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--precision must be fp32 or bf16, got " + value, e);
            }
        }
    }

    /** Per-epoch figures, kept in the checkpoint so a resumed run still plots its whole history. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record EpochRecord(int epoch, double trainLoss, double trainAccuracy, double testAccuracy,
            double learningRate, double seconds, int inputSize, Double averagedTestAccuracy) {}

    public record TrainingState(int epochsDone, Options options, List<EpochRecord> history,
            double trainingSeconds) {}

    private static final String AVERAGE_FILE = "average.ndlist";
    /** Weight-average update interval in steps (the decay is raised to this power). */
    private static final int AVERAGE_EVERY = 4;

    private final Options options;
    private final PrintStream console;

    public TrainCommand(Options options, PrintStream console) {
        this.options = options;
        this.console = console;
    }

    public static void main(String[] args) throws Exception {
        new TrainCommand(Options.parse(args), System.out).run();
    }

    /**
     * The model folder's recipe. Images are upsampled to {@code inputSize} (area filter, so a 2x
     * upsampling repeats each pixel): the textbook stem divides the side by 4 before the first stage,
     * which leaves a 28x28 item only 7x7 and the last stage 1x1.
     */
    public static ModelSpec fashionMnistSpec(String name, int inputSize) {
        return new ModelSpec(name, "resnet", 18, ResNetVariant.TEXTBOOK, ModelSpec.Format.DJL,
                name + ".params", "labels.txt",
                new ModelSpec.Input(1, inputSize, inputSize),
                new ModelSpec.Preprocess(ModelSpec.Colour.GRAYSCALE, ModelSpec.Resize.FIT_PAD, null, ModelSpec.Filter.AREA,
                        ModelSpec.Background.DARK, List.of(FashionMnist.MEAN), List.of(FashionMnist.STD), null), null, null, null, null);
    }

    public TrainingState run() throws IOException {
        if (options.precision() == Precision.BF16 && !Bfloat16Autocast.cpuHasBfloat16Instructions(Path.of("/proc/cpuinfo"))) {
            console.println("warning: --precision bf16 on a CPU without AVX512-BF16 or AMX: oneDNN has no native "
                    + "bfloat16 kernels there, compare with fp32 first");
        }
        FashionMnist.Split trainImages = FashionMnist.train(options.data());
        FashionMnist.Split testImages = FashionMnist.test(options.data());
        if (options.limit() > 0) {
            trainImages = trainImages.first(options.limit());
            testImages = testImages.first(Math.max(100, options.limit() / 5));
        }
        ModelSpec spec = fashionMnistSpec("fashion-mnist-resnet18", options.inputSize());
        Map<Integer, FashionMnist.Prepared> trainBySize = new HashMap<>();
        Map<Integer, FashionMnist.Prepared> testBySize = new HashMap<>();
        for (int size : new TreeSet<>(List.of(options.sizeAt(0), options.inputSize()))) {
            ModelSpec sized = fashionMnistSpec(spec.name(), size);
            trainBySize.put(size, FashionMnist.prepare(trainImages, sized));
            testBySize.put(size, FashionMnist.prepare(testImages, sized));
        }
        int stepsPerEpoch = trainImages.count() / options.batchSize();
        Path checkpoints = options.out().resolve("checkpoints");
        Files.createDirectories(checkpoints);
        Engine.getInstance().setRandomSeed((int) options.seed());

        Block net = ResNet.build(ResNetArchitecture.RESNET_18, ResNetVariant.TEXTBOOK, FashionMnist.LABELS.size());
        long totalSteps = (long) stepsPerEpoch * options.epochs();
        Tracker oneCycle = oneCycle(options.peakLearningRate(), totalSteps, Math.max(1, totalSteps / 10));

        TrainingState state = new TrainingState(0, options, new ArrayList<>(), 0);
        try (Model model = Model.newInstance("fashion-mnist-resnet18", Device.cpu(), "PyTorch")) {
            model.setBlock(net);
            if (options.resume() && Files.exists(checkpoints.resolve("state.json"))) {
                state = readState(checkpoints);
                try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                        Files.newInputStream(checkpoints.resolve("last.params"))))) {
                    net.loadParameters(model.getNDManager(), in);
                } catch (ai.djl.MalformedModelException e) {
                    throw new IOException("checkpoint unreadable: " + e.getMessage(), e);
                }
                console.printf(Locale.ROOT, "resuming after epoch %d (optimizer momentum starts from zero)%n", state.epochsDone());
            } else {
                // Kaiming normal, fan_out, for ReLU networks (torchvision's choice); DJL's default Xavier spikes the loss.
                net.setInitializer(new XavierInitializer(XavierInitializer.RandomType.GAUSSIAN,
                        XavierInitializer.FactorType.OUT, 2), Parameter.Type.WEIGHT);
                zeroInitLastBatchNorms(net);
            }
            int resumedSteps = state.epochsDone() * stepsPerEpoch;
            DefaultTrainingConfig config = new DefaultTrainingConfig(
                    new SmoothedCrossEntropy(options.labelSmoothing(), FashionMnist.LABELS.size()))
                    .optOptimizer(Optimizer.sgd()
                            // The optimizer counts updates from zero, so a resumed run shifts the schedule.
                            .setLearningRateTracker((Tracker) update -> oneCycle.getNewValue(update + resumedSteps))
                            .optMomentum(0.9f)
                            .optWeightDecays(options.weightDecay())
                            .build());
            try (Trainer trainer = model.newTrainer(config);
                    Bfloat16Autocast autocast = options.precision() == Precision.BF16 ? new Bfloat16Autocast(trainer) : null) {
                trainer.initialize(new Shape(options.batchSize(), 1, options.inputSize(), options.inputSize()));
                WeightAverage average = options.averageDecay() > 0
                        ? new WeightAverage(net, options.averageDecay(), AVERAGE_EVERY, model.getNDManager()) : null;
                try {
                    if (average != null && state.epochsDone() > 0 && Files.exists(checkpoints.resolve(AVERAGE_FILE))) {
                        average.load(checkpoints.resolve(AVERAGE_FILE));
                    }
                    for (int epoch = state.epochsDone(); epoch < options.epochs(); epoch++) {
                        int size = options.sizeAt(epoch);
                        FashionMnist.Prepared test = testBySize.get(size);
                        long t0 = System.nanoTime();
                        double[] lossAcc = trainEpoch(trainer, autocast, trainBySize.get(size), epoch, stepsPerEpoch, oneCycle,
                                average);
                        double seconds = (System.nanoTime() - t0) / 1e9;
                        double testAccuracy = Evaluation.accuracy(
                                Evaluation.fusedLogits(net, model.getNDManager(), test, 50), test);
                        Double averagedAccuracy = null;
                        if (average != null && epoch == options.epochs() - 1) {
                            averagedAccuracy = averagedAccuracy(average, net, model.getNDManager(), test);
                        }
                        List<EpochRecord> history = new ArrayList<>(state.history());
                        double lr = oneCycle.getNewValue((epoch + 1) * stepsPerEpoch - 1);
                        history.add(new EpochRecord(epoch + 1, lossAcc[0], lossAcc[1], testAccuracy, lr, seconds, size,
                                averagedAccuracy));
                        state = new TrainingState(epoch + 1, options, history, state.trainingSeconds() + seconds);
                        console.printf(Locale.ROOT, "%nepoch %d/%d (%dx%d): loss %.4f, train accuracy %.4f, test accuracy %.4f%s, %.0f s%n",
                                epoch + 1, options.epochs(), size, size, lossAcc[0], lossAcc[1], testAccuracy,
                                averagedAccuracy == null ? "" : String.format(Locale.ROOT, " (averaged weights %.4f)", averagedAccuracy),
                                seconds);
                        writeCheckpoint(checkpoints, net, state);
                        if (average != null) {
                            average.save(checkpoints.resolve(AVERAGE_FILE));
                        }
                    }
                    if (average != null) {
                        // Decided before the run, not by comparing test figures: with --ema the averaged weights ship.
                        average.copyIntoNetwork();
                    }
                } finally {
                    if (average != null) {
                        average.close();
                    }
                }
            }
            ModelFolder.write(options.out(), spec, FashionMnist.LABELS, net);
            console.printf(Locale.ROOT, "model written to %s (%.0f s of training)%n", options.out(), state.trainingSeconds());
        }
        return state;
    }

    /** Test accuracy with the averaged weights; the network's own weights are put back afterwards. */
    private static double averagedAccuracy(WeightAverage average, Block net, NDManager manager,
            FashionMnist.Prepared test) {
        try (NDManager scratch = manager.newSubManager()) {
            List<NDArray> own = average.snapshot(scratch);
            average.copyIntoNetwork();
            try {
                return Evaluation.accuracy(Evaluation.fusedLogits(net, manager, test, 50), test);
            } finally {
                average.restore(own);
            }
        }
    }

    /** One epoch of steps; {@code autocast} is null for float32 training. */
    private double[] trainEpoch(Trainer trainer, Bfloat16Autocast autocast, FashionMnist.Prepared train, int epoch,
            int steps, Tracker schedule, WeightAverage average) {
        // One generator per epoch, seeded from the run's seed, so a resumed epoch sees the same batches.
        Random random = new Random(options.seed() * 1_000_003L + epoch);
        int[] order = Augment.permutation(train.count(), random);
        int batch = options.batchSize();
        int size = train.size();
        int pixels = train.tensorSize();
        // The padding is given for --input-size; smaller images get proportionally less.
        int padding = Math.round((float) options.cropPadding() * size / options.inputSize());
        float background = -FashionMnist.MEAN / FashionMnist.STD;
        float[] x = new float[batch * pixels];
        float[] y = new float[batch];
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        ProgressBar bar = new ProgressBar(console, epoch + 1, options.epochs(), steps);
        for (int step = 0; step < steps; step++) {
            for (int i = 0; i < batch; i++) {
                int idx = order[step * batch + i];
                Augment.cropFlip(train.tensors(), idx * pixels, size, x, i * pixels, padding, background, random);
                Augment.erase(x, i * pixels, size, options.eraseProbability(), FashionMnist.MEAN, FashionMnist.STD, random);
                y[i] = train.label(idx);
            }
            try (NDManager stepManager = trainer.getManager().newSubManager()) {
                NDArray input = stepManager.create(x, new Shape(batch, 1, size, size));
                NDArray labels = stepManager.create(y);
                float loss;
                float[] logits;
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    NDArray prediction = autocast != null
                            ? autocast.forward(input, stepManager)
                            : trainer.forward(new NDList(input)).singletonOrThrow();
                    NDArray lossValue = trainer.getLoss().evaluate(new NDList(labels), new NDList(prediction));
                    collector.backward(lossValue);
                    loss = lossValue.getFloat();
                    logits = prediction.toFloatArray();
                }
                trainer.step();
                if (average != null) {
                    average.step();
                }
                lossSum += loss * batch;
                correct += Evaluation.correct(logits, y, FashionMnist.LABELS.size());
                seen += batch;
            }
            bar.update(step + 1, lossSum / seen, (double) correct / seen, batch,
                    schedule.getNewValue(epoch * steps + step));
        }
        return new double[] {lossSum / seen, (double) correct / seen};
    }

    /** Linear warm-up from a tenth of the peak, then cosine decay to zero. */
    static Tracker oneCycle(float peak, long totalSteps, long warmupSteps) {
        return step -> {
            if (step < warmupSteps) {
                return peak * (0.1f + 0.9f * step / warmupSteps);
            }
            double progress = Math.min(1.0, (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
            return (float) (peak * 0.5 * (1 + Math.cos(Math.PI * progress)));
        };
    }

    static void zeroInitLastBatchNorms(Block block) {
        if (block instanceof ResidualBlock residual) {
            residual.lastBatchNorm().setInitializer(new ConstantInitializer(0f), Parameter.Type.GAMMA);
        }
        block.getChildren().values().forEach(TrainCommand::zeroInitLastBatchNorms);
    }

    private static void writeCheckpoint(Path dir, Block net, TrainingState state) throws IOException {
        Path tmp = dir.resolve("last.params.tmp");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
            net.saveParameters(out);
        }
        Files.move(tmp, dir.resolve("last.params"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve("state.json"), Json.MAPPER.writeValueAsString(state));
    }

    static TrainingState readState(Path dir) throws IOException {
        return Json.MAPPER.readValue(Files.readString(dir.resolve("state.json")), TrainingState.class);
    }
}
