package io.resnetservice.model;

import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.norm.BatchNorm;

/** The residual block of ResNet-18/34: conv3x3(stride s)-BN-ReLU-conv3x3-BN, plus the shortcut, then ReLU. */
public final class BasicBlock extends ResidualBlock {

    public static final int EXPANSION = 1;

    private BasicBlock(SequentialBlock residual, BatchNorm bn2, Block shortcutOrNull) {
        super(residual, bn2, shortcutOrNull);
    }

    /** @param shortcut the projection, or {@code null} for the identity ({@link ResNet} decides which) */
    public static BasicBlock of(int channels, int stride, ResNetVariant variant, Block shortcut) {
        BatchNorm bn2 = Layers.batchNorm();
        SequentialBlock residual = new SequentialBlock()
                .add(Layers.conv3x3(channels, stride, variant))
                .add(Layers.batchNorm())
                .add(Activation.reluBlock())
                .add(Layers.conv3x3(channels, 1, variant))
                .add(bn2);
        return new BasicBlock(residual, bn2, shortcut);
    }
}
