package io.resnetservice.model;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The two ways this project builds the same ResNet topology.
 *
 * <ul>
 *   <li>{@link #TEXTBOOK}: every convolution carries a bias and a projection shortcut is a plain 1x1
 *       convolution, as in "Dive into Deep Learning" (the seed's code and our Fashion-MNIST model).
 *   <li>{@link #TORCHVISION}: the paper's option B as torchvision builds it: no convolution bias (the
 *       following BatchNorm makes it redundant) and BatchNorm after the 1x1 projection. Weights exported
 *       from torchvision fit this variant.
 * </ul>
 */
public enum ResNetVariant {
    @JsonProperty("textbook")
    TEXTBOOK(true, false),
    @JsonProperty("torchvision")
    TORCHVISION(false, true);

    private final boolean convolutionBias;
    private final boolean batchNormOnProjection;

    ResNetVariant(boolean convolutionBias, boolean batchNormOnProjection) {
        this.convolutionBias = convolutionBias;
        this.batchNormOnProjection = batchNormOnProjection;
    }

    public boolean convolutionBias() {
        return convolutionBias;
    }

    public boolean batchNormOnProjection() {
        return batchNormOnProjection;
    }
}
