package io.resnetservice.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResNetTest {

    static long trainableParameters(Block block) {
        return block.getParameters().values().stream()
                .filter(Parameter::requiresGradient)
                .mapToLong(p -> p.getArray().getShape().size())
                .sum();
    }

    private static long count(ResNetArchitecture architecture, ResNetVariant variant, int channels, int classes) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = ResNet.build(architecture, variant, classes);
            net.initialize(manager, DataType.FLOAT32, new Shape(1, channels, 224, 224));
            return trainableParameters(net);
        }
    }

    @Test
    void torchvisionResNet18HasTheReferenceParameterCount() {
        assertEquals(11_689_512L, count(ResNetArchitecture.RESNET_18, ResNetVariant.TORCHVISION, 3, 1000));
    }

    @Test
    void torchvisionResNet50HasTheReferenceParameterCount() {
        assertEquals(25_557_032L, count(ResNetArchitecture.RESNET_50, ResNetVariant.TORCHVISION, 3, 1000));
    }

    @Test
    void textbookResNet18ForFashionMnistHasTheSeedsParameterCount() {
        assertEquals(11_178_378L, count(ResNetArchitecture.RESNET_18, ResNetVariant.TEXTBOOK, 1, 10));
    }

    @Test
    void torchvisionResNet34And101And152HaveTheReferenceParameterCounts() {
        // torchvision.models.resnet34/101/152(): 21,797,672 / 44,549,160 / 60,192,808 parameters
        assertEquals(21_797_672L, count(ResNetArchitecture.RESNET_34, ResNetVariant.TORCHVISION, 3, 1000));
        assertEquals(44_549_160L, count(ResNetArchitecture.RESNET_101, ResNetVariant.TORCHVISION, 3, 1000));
        assertEquals(60_192_808L, count(ResNetArchitecture.RESNET_152, ResNetVariant.TORCHVISION, 3, 1000));
    }

    @Test
    void stagesProduceTheTextbookShapes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock net = ResNet.build(ResNetArchitecture.RESNET_18, ResNetVariant.TEXTBOOK, 10);
            Shape input = new Shape(1, 1, 224, 224);
            net.initialize(manager, DataType.FLOAT32, input);
            List<Shape> shapes = new ArrayList<>();
            NDList x = new NDList(manager.randomNormal(input));
            ParameterStore store = new ParameterStore(manager, false);
            for (Block stage : net.getChildren().values()) {
                x = stage.forward(store, x, false);
                shapes.add(x.singletonOrThrow().getShape());
            }
            assertEquals(List.of(new Shape(1, 64, 56, 56), new Shape(1, 64, 56, 56), new Shape(1, 128, 28, 28),
                    new Shape(1, 256, 14, 14), new Shape(1, 512, 7, 7), new Shape(1, 10)), shapes);
        }
    }

    @Test
    void eachStageStartsWithAProjectionOnlyWhereTheShapeChanges() {
        SequentialBlock net = ResNet.build(ResNetArchitecture.RESNET_18, ResNetVariant.TEXTBOOK, 10);
        List<Block> stages = new ArrayList<>(net.getChildren().values()).subList(1, 5);
        for (int s = 0; s < 4; s++) {
            List<Block> blocks = new ArrayList<>(stages.get(s).getChildren().values());
            ResidualBlock first = (ResidualBlock) blocks.get(0);
            ResidualBlock second = (ResidualBlock) blocks.get(1);
            if (s == 0) {
                assertNull(first.shortcut(), "stage 1 keeps 64 channels at stride 1: identity shortcut");
            } else {
                assertNotNull(first.shortcut(), "stage " + (s + 1) + " halves the size: projection shortcut");
            }
            assertNull(second.shortcut());
        }
    }

    @Test
    void aBlockWithItsResidualBranchZeroedReturnsReluOfTheShortcut() {
        for (ResNetVariant variant : ResNetVariant.values()) {
            try (NDManager manager = NDManager.newBaseManager()) {
                BasicBlock block = BasicBlock.of(64, 2, variant, ResNet.shortcut(32, 64, 2, variant));
                Shape input = new Shape(2, 32, 8, 8);
                // gamma = 0 (beta starts at 0) in the branch's last BatchNorm makes F(x) = 0 whatever x is.
                block.lastBatchNorm().setInitializer(new ConstantInitializer(0f), Parameter.Type.GAMMA);
                block.initialize(manager, DataType.FLOAT32, input);
                NDArray x = manager.randomNormal(input);
                ParameterStore store = new ParameterStore(manager, false);
                NDArray y = block.forward(store, new NDList(x), false).singletonOrThrow();
                NDArray expected = Activation.relu(
                        block.shortcut().forward(store, new NDList(x), false).singletonOrThrow());
                assertEquals(new Shape(2, 64, 4, 4), y.getShape());
                assertTrue(y.allClose(expected, 0, 0, false), variant + ": block(x) must equal relu(shortcut(x))");
                assertTrue(expected.lt(0).sum().getLong() == 0 && expected.gt(0).sum().getLong() > 0);
            }
        }
    }

    @Test
    void identityBlockWithZeroedBranchPassesPositiveInputThrough() {
        try (NDManager manager = NDManager.newBaseManager()) {
            BasicBlock block = BasicBlock.of(16, 1, ResNetVariant.TEXTBOOK, ResNet.shortcut(16, 16, 1, ResNetVariant.TEXTBOOK));
            Shape input = new Shape(1, 16, 5, 5);
            block.lastBatchNorm().setInitializer(new ConstantInitializer(0f), Parameter.Type.GAMMA);
            block.initialize(manager, DataType.FLOAT32, input);
            NDArray x = manager.randomNormal(input);
            NDArray y = block.forward(new ParameterStore(manager, false), new NDList(x), false).singletonOrThrow();
            assertArrayEquals(Activation.relu(x).toFloatArray(), y.toFloatArray());
        }
    }
}
