package io.resnetservice.model;

import ai.djl.nn.Block;
import java.util.Arrays;
import java.util.List;

/** The ResNet family as the paper's Table 1 lists it: a block type and the number of blocks per stage. */
public enum ResNetArchitecture {
    RESNET_18(18, BlockType.BASIC, 2, 2, 2, 2),
    RESNET_34(34, BlockType.BASIC, 3, 4, 6, 3),
    RESNET_50(50, BlockType.BOTTLENECK, 3, 4, 6, 3),
    RESNET_101(101, BlockType.BOTTLENECK, 3, 4, 23, 3),
    RESNET_152(152, BlockType.BOTTLENECK, 3, 8, 36, 3);

    /** Width of the four stages; bottleneck stages output four times as many channels. */
    public static final List<Integer> STAGE_WIDTHS = List.of(64, 128, 256, 512);

    /** A residual block type: how many times its width it outputs, and how to make one. */
    public enum BlockType {
        BASIC(BasicBlock.EXPANSION, BasicBlock::of),
        BOTTLENECK(BottleneckBlock.EXPANSION, BottleneckBlock::of);

        interface Factory {
            ResidualBlock create(int width, int stride, ResNetVariant variant, Block shortcut);
        }

        private final int expansion;
        private final Factory factory;

        BlockType(int expansion, Factory factory) {
            this.expansion = expansion;
            this.factory = factory;
        }

        public int expansion() {
            return expansion;
        }

        /** A block of this type; {@code shortcut} is the projection, or {@code null} for the identity. */
        public ResidualBlock create(int width, int stride, ResNetVariant variant, Block shortcut) {
            return factory.create(width, stride, variant, shortcut);
        }
    }

    private final int depth;
    private final BlockType blockType;
    private final int[] blocksPerStage;

    ResNetArchitecture(int depth, BlockType blockType, int... blocksPerStage) {
        this.depth = depth;
        this.blockType = blockType;
        this.blocksPerStage = blocksPerStage;
    }

    public int depth() {
        return depth;
    }

    public BlockType blockType() {
        return blockType;
    }

    public int[] blocksPerStage() {
        return blocksPerStage.clone();
    }

    public static ResNetArchitecture ofDepth(int depth) {
        return Arrays.stream(values())
                .filter(a -> a.depth == depth)
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        "no ResNet of depth " + depth + "; known depths: 18, 34, 50, 101, 152"));
    }
}
