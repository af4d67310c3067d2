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
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * {@code train}: trains the textbook ResNet-18 on Fashion-MNIST and writes a model folder.
 *
 * <p>Recipe: SGD with momentum 0.9 and weight decay, a one-cycle learning rate (linear warm-up, cosine
 * decay), random crop with padding, horizontal flips and random erasing, optionally smoothed labels,
 * Kaiming-normal convolutions and each residual branch's last BatchNorm scale at zero so every block
 * starts as the identity.
 */
public final class TrainCommand {

    public record Options(
            Path data, Path out, int epochs, int batchSize, float peakLearningRate, float weightDecay,
            long seed, int limit, boolean resume, int cropPadding, int inputSize, float eraseProbability,
            float labelSmoothing) {

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
                    (float) cl.decimal("--label-smoothing", 0));
        }
    }

    /** Per-epoch figures, kept in the checkpoint so a resumed run still plots its whole history. */
    public record EpochRecord(int epoch, double trainLoss, double trainAccuracy, double testAccuracy,
            double learningRate, double seconds) {}

    public record TrainingState(int epochsDone, Options options, List<EpochRecord> history,
            double trainingSeconds) {}

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
                        ModelSpec.Background.DARK, List.of(FashionMnist.MEAN), List.of(FashionMnist.STD)));
    }

    public TrainingState run() throws IOException {
        FashionMnist.Split trainImages = FashionMnist.train(options.data());
        FashionMnist.Split testImages = FashionMnist.test(options.data());
        if (options.limit() > 0) {
            trainImages = trainImages.first(options.limit());
            testImages = testImages.first(Math.max(100, options.limit() / 5));
        }
        ModelSpec spec = fashionMnistSpec("fashion-mnist-resnet18", options.inputSize());
        FashionMnist.Prepared train = FashionMnist.prepare(trainImages, spec);
        FashionMnist.Prepared test = FashionMnist.prepare(testImages, spec);
        Path checkpoints = options.out().resolve("checkpoints");
        Files.createDirectories(checkpoints);
        Engine.getInstance().setRandomSeed((int) options.seed());

        Block net = ResNet.build(ResNetArchitecture.RESNET_18, ResNetVariant.TEXTBOOK, FashionMnist.LABELS.size());
        int stepsPerEpoch = train.count() / options.batchSize();
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
                console.printf("resuming after epoch %d (optimizer momentum starts from zero)%n", state.epochsDone());
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
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(options.batchSize(), 1, options.inputSize(), options.inputSize()));
                for (int epoch = state.epochsDone(); epoch < options.epochs(); epoch++) {
                    long t0 = System.nanoTime();
                    double[] lossAcc = trainEpoch(trainer, train, epoch, stepsPerEpoch, oneCycle);
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    double testAccuracy = Evaluation.accuracy(
                            Evaluation.fusedLogits(net, model.getNDManager(), test, 50), test);
                    List<EpochRecord> history = new ArrayList<>(state.history());
                    double lr = oneCycle.getNewValue((epoch + 1) * stepsPerEpoch - 1);
                    history.add(new EpochRecord(epoch + 1, lossAcc[0], lossAcc[1], testAccuracy, lr, seconds));
                    state = new TrainingState(epoch + 1, options, history, state.trainingSeconds() + seconds);
                    console.printf("%nepoch %d/%d: loss %.4f, train accuracy %.4f, test accuracy %.4f, %.0f s%n",
                            epoch + 1, options.epochs(), lossAcc[0], lossAcc[1], testAccuracy, seconds);
                    writeCheckpoint(checkpoints, net, state);
                }
            }
            ModelFolder.write(options.out(), spec, FashionMnist.LABELS, net);
            console.printf("model written to %s (%.0f s of training)%n", options.out(), state.trainingSeconds());
        }
        return state;
    }

    private double[] trainEpoch(Trainer trainer, FashionMnist.Prepared train, int epoch, int steps, Tracker schedule) {
        // One generator per epoch, seeded from the run's seed, so a resumed epoch sees the same batches.
        Random random = new Random(options.seed() * 1_000_003L + epoch);
        int[] order = Augment.permutation(train.count(), random);
        int batch = options.batchSize();
        int size = train.size();
        int pixels = train.tensorSize();
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
                Augment.cropFlip(train.tensors(), idx * pixels, size, x, i * pixels, options.cropPadding(), background, random);
                Augment.erase(x, i * pixels, size, options.eraseProbability(), FashionMnist.MEAN, FashionMnist.STD, random);
                y[i] = train.label(idx);
            }
            try (NDManager stepManager = trainer.getManager().newSubManager()) {
                NDArray input = stepManager.create(x, new Shape(batch, 1, size, size));
                NDArray labels = stepManager.create(y);
                float loss;
                float[] logits;
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    NDArray prediction = trainer.forward(new NDList(input)).singletonOrThrow();
                    NDArray lossValue = trainer.getLoss().evaluate(new NDList(labels), new NDList(prediction));
                    collector.backward(lossValue);
                    loss = lossValue.getFloat();
                    logits = prediction.toFloatArray();
                }
                trainer.step();
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
        Files.move(tmp, dir.resolve("last.params"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve("state.json"), Json.MAPPER.writeValueAsString(state));
    }

    static TrainingState readState(Path dir) throws IOException {
        return Json.MAPPER.readValue(Files.readString(dir.resolve("state.json")), TrainingState.class);
    }
}
