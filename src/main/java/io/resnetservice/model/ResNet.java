package io.resnetservice.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;

/**
 * Builds a ResNet: stem (conv7x7/2, BN, ReLU, maxpool3x3/2), four stages of residual blocks, global
 * average pooling and a fully connected layer. The returned block's children are, in order: stem,
 * stage1..stage4, head, so a caller can run the network stage by stage.
 */
public final class ResNet {

    private ResNet() {}

    public static SequentialBlock build(ResNetArchitecture architecture, ResNetVariant variant, int classes) {
        SequentialBlock net = new SequentialBlock();
        net.add(stem(variant));
        int inChannels = 64;
        int[] depths = architecture.blocksPerStage();
        for (int stage = 0; stage < depths.length; stage++) {
            int width = ResNetArchitecture.STAGE_WIDTHS.get(stage);
            int firstStride = stage == 0 ? 1 : 2;
            SequentialBlock blocks = new SequentialBlock();
            for (int i = 0; i < depths[stage]; i++) {
                int stride = i == 0 ? firstStride : 1;
                blocks.add(residualBlock(architecture.blockType(), inChannels, width, stride, variant));
                inChannels = width * architecture.blockType().expansion();
            }
            net.add(blocks);
        }
        net.add(head(classes));
        return net;
    }

    private static Block stem(ResNetVariant variant) {
        return new SequentialBlock()
                .add(Layers.conv(64, 7, 2, variant.convolutionBias()))
                .add(Layers.batchNorm())
                .add(Activation.reluBlock())
                .add(Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(1, 1)));
    }

    private static Block residualBlock(
            ResNetArchitecture.BlockType type, int inChannels, int width, int stride, ResNetVariant variant) {
        return switch (type) {
            case BASIC -> BasicBlock.of(inChannels, width, stride, variant);
            case BOTTLENECK -> BottleneckBlock.of(inChannels, width, stride, variant);
        };
    }

    private static Block head(int classes) {
        return new SequentialBlock()
                .add(Pool.globalAvgPool2dBlock())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(classes).build());
    }
}
