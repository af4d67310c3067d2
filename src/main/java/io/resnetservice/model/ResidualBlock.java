package io.resnetservice.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * {@code y = relu(F(x) + shortcut(x))}: the unit every ResNet is built from. {@code F} is the residual
 * branch ({@link BasicBlock} or {@link BottleneckBlock} decide its layers); the shortcut is the identity
 * or, where {@code F} changes the shape, a projection.
 */
public class ResidualBlock extends AbstractBlock {

    private final Block residual;
    private final Block shortcut;
    private final BatchNorm lastBatchNorm;

    /**
     * @param residual the branch {@code F}
     * @param lastBatchNorm the BatchNorm that ends {@code F}; zeroing its scale turns the block into
     *     {@code relu(shortcut(x))}
     * @param shortcut the projection, or {@code null} for the identity
     */
    protected ResidualBlock(Block residual, BatchNorm lastBatchNorm, Block shortcut) {
        this.residual = addChildBlock("residual", residual);
        this.lastBatchNorm = lastBatchNorm;
        this.shortcut = shortcut == null ? null : addChildBlock("shortcut", shortcut);
    }

    public Block residual() {
        return residual;
    }

    /** The projection shortcut, or {@code null} where the block adds its input unchanged. */
    public Block shortcut() {
        return shortcut;
    }

    public BatchNorm lastBatchNorm() {
        return lastBatchNorm;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray fx = residual.forward(store, inputs, training, params).singletonOrThrow();
        NDArray identity =
                shortcut == null ? x : shortcut.forward(store, inputs, training, params).singletonOrThrow();
        return new NDList(Activation.relu(fx.add(identity)));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return residual.getOutputShapes(inputShapes);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        residual.initialize(manager, dataType, inputShapes);
        if (shortcut != null) {
            shortcut.initialize(manager, dataType, inputShapes);
        }
    }
}
