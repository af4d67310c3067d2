package io.resnetservice.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.NormalInitializer;
import io.resnetservice.model.ResNet;
import io.resnetservice.model.ResNetArchitecture;
import io.resnetservice.model.ResNetVariant;
import io.resnetservice.support.Datasets;
import org.junit.jupiter.api.Test;

class EvaluationTest {

    /** The training run's per-epoch test pass goes through the fused network; it must compute what the blocks compute. */
    @Test
    void fusedLogitsEqualTheBlocksLogits() throws Exception {
        FashionMnist.Prepared test = FashionMnist.prepare(
                FashionMnist.test(Datasets.fashionMnist()).first(120), TrainCommand.fashionMnistSpec("t", 56));
        Block net = ResNet.build(ResNetArchitecture.RESNET_18, ResNetVariant.TEXTBOOK, 10);
        try (Model model = Model.newInstance("t", ai.djl.Device.cpu(), "PyTorch")) {
            model.setBlock(net);
            net.setInitializer(new NormalInitializer(0.1f), Parameter.Type.WEIGHT);
            net.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1, 56, 56));
            float[][] blocks = Evaluation.logits(net, model.getNDManager(), test, 50);
            float[][] fused = Evaluation.fusedLogits(net, model.getNDManager(), test, 50);
            assertEquals(120, fused.length);
            double largest = 0;
            for (float[] row : blocks) {
                for (float v : row) {
                    largest = Math.max(largest, Math.abs(v));
                }
            }
            assertTrue(largest > 0, "a network that outputs zeros would prove nothing");
            for (int i = 0; i < blocks.length; i++) {
                for (int c = 0; c < 10; c++) {
                    assertEquals(blocks[i][c], fused[i][c], 1e-4 * largest, "image " + i + " class " + c);
                }
            }
        }
    }
}
