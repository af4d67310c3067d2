package io.resnetservice.model;

import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.norm.BatchNorm;

/**
 * The residual block of ResNet-50/101/152: conv1x1-BN-ReLU-conv3x3(stride s)-BN-ReLU-conv1x1 (4x the
 * width)-BN, plus the shortcut, then ReLU. The stride sits on the 3x3 convolution as in torchvision
 * ("ResNet v1.5").
 */
public final class BottleneckBlock extends ResidualBlock {

    public static final int EXPANSION = 4;

    private BottleneckBlock(SequentialBlock residual, BatchNorm bn3, Block shortcutOrNull) {
        super(residual, bn3, shortcutOrNull);
    }

    /** @param shortcut the projection, or {@code null} for the identity ({@link ResNet} decides which) */
    public static BottleneckBlock of(int width, int stride, ResNetVariant variant, Block shortcut) {
        int outChannels = width * EXPANSION;
        BatchNorm bn3 = Layers.batchNorm();
        SequentialBlock residual = new SequentialBlock()
                .add(Layers.conv1x1(width, 1, variant))
                .add(Layers.batchNorm())
                .add(Activation.reluBlock())
                .add(Layers.conv3x3(width, stride, variant))
                .add(Layers.batchNorm())
                .add(Activation.reluBlock())
                .add(Layers.conv1x1(outChannels, 1, variant))
                .add(bn3);
        return new BottleneckBlock(residual, bn3, shortcut);
    }
}
