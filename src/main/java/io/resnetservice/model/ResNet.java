package io.resnetservice.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import java.util.ArrayList;
import java.util.List;

/**
 * A ResNet with named parts, as torchvision names them: the {@link Stem} ({@code conv1}, {@code bn1}, ReLU,
 * max pooling), four {@link Stage}s ({@code layer1..layer4}) of residual blocks, and the {@link Head}
 * (global average pooling, {@code fc}). Each part is a {@link SequentialBlock} of its layers, so the
 * network runs, saves and loads its parameters exactly as a plain sequence of them.
 */
public final class ResNet extends SequentialBlock {

    private final Stem stem;
    private final List<Stage> stages;
    private final Head head;

    private ResNet(Stem stem, List<Stage> stages, Head head) {
        this.stem = stem;
        this.stages = List.copyOf(stages);
        this.head = head;
        add(stem);
        stages.forEach(this::add);
        add(head);
    }

    public static ResNet build(ResNetArchitecture architecture, ResNetVariant variant, int classes) {
        ResNetArchitecture.BlockType type = architecture.blockType();
        int inChannels = 64;
        int[] depths = architecture.blocksPerStage();
        List<Stage> stages = new ArrayList<>();
        for (int s = 0; s < depths.length; s++) {
            int width = ResNetArchitecture.STAGE_WIDTHS.get(s);
            int outChannels = width * type.expansion();
            List<ResidualBlock> blocks = new ArrayList<>();
            for (int i = 0; i < depths[s]; i++) {
                int stride = i == 0 && s > 0 ? 2 : 1;
                blocks.add(type.create(width, stride, variant, shortcut(inChannels, outChannels, stride, variant)));
                inChannels = outChannels;
            }
            stages.add(new Stage(blocks));
        }
        return new ResNet(new Stem(variant), stages, new Head(classes));
    }

    /** The shortcut: the identity ({@code null}) unless the block changes channels or resolution. */
    static Block shortcut(int inChannels, int outChannels, int stride, ResNetVariant variant) {
        return stride != 1 || inChannels != outChannels ? Layers.projection(outChannels, stride, variant) : null;
    }

    public Stem stem() {
        return stem;
    }

    /** {@code layer1..layer4}, in order. */
    public List<Stage> stages() {
        return stages;
    }

    /** torchvision's {@code layerN}, N from 1 to 4. */
    public Stage layer(int n) {
        return stages.get(n - 1);
    }

    public Head head() {
        return head;
    }

    /** Width of the features the head's {@code fc} reads: the last stage's output channels. */
    public int featureWidth() {
        return (int) head.fc().getParameters().get("weight").getArray().getShape().get(1);
    }

    /** conv7x7/2 ({@code conv1}), BatchNorm ({@code bn1}), ReLU, max pooling 3x3/2. */
    public static final class Stem extends SequentialBlock {
        private final Conv2d conv1;
        private final BatchNorm bn1;

        Stem(ResNetVariant variant) {
            this.conv1 = Layers.conv(64, 7, 2, variant.convolutionBias());
            this.bn1 = Layers.batchNorm();
            add(conv1).add(bn1).add(Activation.reluBlock())
                    .add(Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(1, 1)));
        }

        public Conv2d conv1() {
            return conv1;
        }

        public BatchNorm bn1() {
            return bn1;
        }
    }

    /** One stage: residual blocks at one width, the first of them changing resolution or channels. */
    public static final class Stage extends SequentialBlock {
        private final List<ResidualBlock> blocks;

        Stage(List<ResidualBlock> blocks) {
            this.blocks = List.copyOf(blocks);
            blocks.forEach(this::add);
        }

        public List<ResidualBlock> blocks() {
            return blocks;
        }
    }

    /** Global average pooling, flattening and the fully connected layer {@code fc}. */
    public static final class Head extends SequentialBlock {
        private final Linear fc;

        Head(int classes) {
            this.fc = Linear.builder().setUnits(classes).build();
            add(Pool.globalAvgPool2dBlock()).add(Blocks.batchFlattenBlock()).add(fc);
        }

        public Linear fc() {
            return fc;
        }
    }
}
