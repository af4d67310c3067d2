package io.resnetservice.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

/** DJL's block-by-block forward, in inference mode: any network, as built. */
final class BlockForward implements Forward {

    private final Block block;

    BlockForward(Block block) {
        this.block = block;
    }

    @Override
    public NDArray forward(NDArray input) {
        return block.forward(new ParameterStore(input.getManager(), false), new NDList(input), false).singletonOrThrow();
    }

    @Override
    public String name() {
        return "blocks";
    }

    @Override
    public void close() {
        // The block's parameters belong to its model.
    }
}
