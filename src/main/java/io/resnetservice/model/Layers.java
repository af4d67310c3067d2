package io.resnetservice.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;

/** The few layer shapes a ResNet is made of, named as the paper names them. */
public final class Layers {

    /** PyTorch's BatchNorm defaults (momentum 0.1 there is 0.9 in DJL's convention). */
    public static final float BN_EPSILON = 1e-5f;
    static final float BN_MOMENTUM = 0.9f;

    private Layers() {}

    static Conv2d conv(int filters, int kernel, int stride, boolean bias) {
        return Conv2d.builder()
                .setFilters(filters)
                .setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(kernel / 2, kernel / 2))
                .optBias(bias)
                .build();
    }

    static Block conv3x3(int filters, int stride, ResNetVariant variant) {
        return conv(filters, 3, stride, variant.convolutionBias());
    }

    static Block conv1x1(int filters, int stride, ResNetVariant variant) {
        return conv(filters, 1, stride, variant.convolutionBias());
    }

    static BatchNorm batchNorm() {
        return BatchNorm.builder().optEpsilon(BN_EPSILON).optMomentum(BN_MOMENTUM).build();
    }

    /** The shortcut used where the residual branch changes channels or resolution. */
    static Block projection(int filters, int stride, ResNetVariant variant) {
        Block conv = conv1x1(filters, stride, variant);
        if (!variant.batchNormOnProjection()) {
            return conv;
        }
        return new SequentialBlock().add(conv).add(batchNorm());
    }
}
