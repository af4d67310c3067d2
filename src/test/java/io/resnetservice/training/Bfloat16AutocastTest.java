package io.resnetservice.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.resnetservice.model.ResNet;
import io.resnetservice.model.ResNetArchitecture;
import io.resnetservice.model.ResNetVariant;
import io.resnetservice.runtime.CpuFeatures;
import io.resnetservice.support.Datasets;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Bfloat16AutocastTest {

    private static final Shape BATCH = new Shape(8, 1, 32, 32);

    @Test
    void logitsAndWeightGradientsMatchTheFloat32Pass() {
        Engine.getInstance().setRandomSeed(3);
        Block net = ResNet.build(ResNetArchitecture.RESNET_18, ResNetVariant.TEXTBOOK, 10);
        try (Model model = Model.newInstance("autocast", Device.cpu(), "PyTorch")) {
            model.setBlock(net);
            try (Trainer trainer = model.newTrainer(config());
                    Bfloat16Autocast autocast = new Bfloat16Autocast(trainer);
                    NDManager scratch = trainer.getManager().newSubManager()) {
                trainer.initialize(BATCH);
                NDArray input = scratch.randomNormal(BATCH);
                NDArray direction = scratch.randomNormal(new Shape(8, 10));

                float[] fullLogits;
                Map<String, float[]> fullGradients;
                try (NDManager step = scratch.newSubManager();
                        GradientCollector collector = trainer.newGradientCollector()) {
                    collector.zeroGradients();
                    NDArray logits = trainer.forward(new NDList(input)).singletonOrThrow();
                    collector.backward(logits.mul(direction).sum());
                    fullLogits = logits.toFloatArray();
                    fullGradients = weightGradients(net);
                }
                float[] lowLogits;
                Map<String, float[]> lowGradients;
                try (NDManager step = scratch.newSubManager();
                        GradientCollector collector = trainer.newGradientCollector()) {
                    collector.zeroGradients();
                    NDArray logits = autocast.forward(input, step);
                    assertEquals(DataType.FLOAT32, logits.getDataType(), "the loss sees float32 logits");
                    collector.backward(logits.mul(direction).sum());
                    lowLogits = logits.toFloatArray();
                    lowGradients = weightGradients(net);
                }

                assertTrue(Reliability.cosine(fullLogits, lowLogits) > 0.999,
                        "bfloat16 logits follow the float32 ones: cosine " + Reliability.cosine(fullLogits, lowLogits));
                // And they are not the float32 ones: bfloat16 keeps 8 significant bits, so a pass that really ran
                // in it differs by around 1e-2 of the logits' scale; a cast that did nothing differs by 0.
                double scale = 0;
                double diff = 0;
                for (int i = 0; i < fullLogits.length; i++) {
                    scale = Math.max(scale, Math.abs(fullLogits[i]));
                    diff = Math.max(diff, Math.abs(fullLogits[i] - lowLogits[i]));
                }
                assertTrue(diff > 1e-3 * scale && diff < 0.1 * scale,
                        "logits differ from float32 by " + diff + " at a scale of " + scale);
                assertEquals(fullGradients.keySet(), lowGradients.keySet());
                for (String name : fullGradients.keySet()) {
                    double similarity = Reliability.cosine(fullGradients.get(name), lowGradients.get(name));
                    // bfloat16 keeps 8 significant bits, so gradients only point the same way; one that did
                    // not reach the float32 weight would be zero (cosine 0).
                    assertTrue(similarity > 0.9, name + ": gradient cosine " + similarity);
                }
                assertTrue(fullGradients.keySet().stream()
                                .anyMatch(name -> Reliability.cosine(fullGradients.get(name), lowGradients.get(name)) < 0.99999),
                        "some gradient shows the reduced precision");
                for (Pair<String, Parameter> p : net.getParameters()) {
                    assertEquals(DataType.FLOAT32, p.getValue().getArray().getDataType(), p.getKey() + " stays float32");
                }
            }
        }
    }

    @Test
    void stepsLeaveNoArraysBehind() {
        Engine.getInstance().setRandomSeed(5);
        Block net = ResNet.build(ResNetArchitecture.RESNET_18, ResNetVariant.TEXTBOOK, 10);
        try (Model model = Model.newInstance("autocast", Device.cpu(), "PyTorch")) {
            model.setBlock(net);
            try (Trainer trainer = model.newTrainer(config());
                    Bfloat16Autocast autocast = new Bfloat16Autocast(trainer)) {
                trainer.initialize(BATCH);
                List<Integer> counts = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    try (NDManager step = trainer.getManager().newSubManager();
                            GradientCollector collector = trainer.newGradientCollector()) {
                        NDArray logits = autocast.forward(step.randomNormal(BATCH), step);
                        NDArray labels = step.create(new float[] {0, 1, 2, 3, 4, 5, 6, 7});
                        collector.backward(trainer.getLoss().evaluate(new NDList(labels), new NDList(logits)));
                    }
                    trainer.step();
                    counts.add(((BaseNDManager) model.getNDManager()).getManagedArrays().size());
                }
                assertEquals(counts.get(1), counts.get(3), "arrays held by the model after each step: " + counts);
            }
        }
    }

    @Test
    void aShortBfloat16RunLearnsAndSaysSoInItsMetrics(@TempDir Path out) throws Exception {
        Path data = Datasets.fashionMnist();
        PrintStream console = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        // Without bfloat16 instructions libtorch falls back to its slow reference kernels: half the images, at 16x16.
        boolean native16 = CpuFeatures.current().bf16();
        TrainCommand.TrainingState state = new TrainCommand(new TrainCommand.Options(data, out, 4, native16 ? 64 : 32,
                0.05f, 5e-4f, 11, native16 ? 640 : 320, false, 2, native16 ? 32 : 16, 0.3f, 0f, 0, 28, 0f,
                TrainCommand.Precision.BF16), console).run();
        List<TrainCommand.EpochRecord> history = state.history();
        assertTrue(history.get(3).trainLoss() < history.get(0).trainLoss(), "loss must fall: " + history);
        EvaluateCommand.Result result = EvaluateCommand.run(out, data, console, 200, 10);
        assertTrue(result.accuracy() > 0.3, "four epochs teach more than chance: " + result.accuracy());
        assertTrue(Files.readString(out.resolve("metrics.json")).contains("bfloat16 convolutions"));
    }

    @Test
    void precisionNamesAreCheckedOnTheCommandLine() {
        assertEquals(TrainCommand.Precision.BF16, TrainCommand.Options.parse(new String[] {"--precision", "bf16"}).precision());
        assertEquals(TrainCommand.Precision.FP32, TrainCommand.Options.parse(new String[0]).precision());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainCommand.Options.parse(new String[] {"--precision", "fp16"}));
        assertTrue(e.getMessage().contains("fp32 or bf16"), e.getMessage());
    }

    @Test
    void knowsWhichCpusHaveBfloat16Instructions(@TempDir Path dir) throws Exception {
        Path zen5 = Files.writeString(dir.resolve("zen5"), "flags\t\t: fpu avx512f avx512_bf16 avx512_vnni\n");
        Path sapphireRapids = Files.writeString(dir.resolve("spr"), "flags\t\t: fpu avx512f amx_bf16 amx_tile\n");
        Path skylake = Files.writeString(dir.resolve("skx"), "flags\t\t: fpu avx512f avx512_vnni\n");
        assertTrue(Bfloat16Autocast.cpuHasBfloat16Instructions(zen5));
        assertTrue(Bfloat16Autocast.cpuHasBfloat16Instructions(sapphireRapids));
        assertFalse(Bfloat16Autocast.cpuHasBfloat16Instructions(skylake));
        assertTrue(Bfloat16Autocast.cpuHasBfloat16Instructions(dir.resolve("absent")), "unknown: no warning");
    }

    private static DefaultTrainingConfig config() {
        return new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build());
    }

    /** Gradients of the convolution and fully connected weights (biases before BatchNorm get next to none). */
    private static Map<String, float[]> weightGradients(Block net) {
        Map<String, float[]> gradients = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : net.getParameters()) {
            if (p.getValue().getType() == Parameter.Type.WEIGHT) {
                gradients.put(p.getKey(), p.getValue().getArray().getGradient().toFloatArray());
            }
        }
        return gradients;
    }

}
