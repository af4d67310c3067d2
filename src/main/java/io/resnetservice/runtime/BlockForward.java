package io.resnetservice.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.resnetservice.model.ResNet;

/** DJL's block-by-block forward, in inference mode: any network, as built. */
final class BlockForward implements Forward {

    private final Block block;
    private final boolean features;

    BlockForward(Block block, boolean features) {
        this.block = block;
        this.features = features;
    }

    @Override
    public NDArray forward(NDArray input) {
        ParameterStore parameters = new ParameterStore(input.getManager(), false);
        if (!features) {
            return block.forward(parameters, new NDList(input), false).singletonOrThrow();
        }
        // Every part but fc, then fc on the pooled features: both come out of one pass.
        ResNet resnet = (ResNet) block;
        NDList x = new NDList(input);
        for (Pair<String, Block> part : resnet.getChildren()) {
            if (part.getValue() != resnet.head()) {
                x = part.getValue().forward(parameters, x, false);
            }
        }
        for (Pair<String, Block> layer : resnet.head().getChildren()) {
            if (layer.getValue() != resnet.head().fc()) {
                x = layer.getValue().forward(parameters, x, false);
            }
        }
        NDArray flat = x.singletonOrThrow();
        NDArray logits = resnet.head().fc().forward(parameters, x, false).singletonOrThrow();
        return logits.concat(flat, 1);
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
