package io.resnetservice.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.resnetservice.model.ResNet;
import io.resnetservice.model.ResNetArchitecture;
import io.resnetservice.model.ResNetVariant;
import io.resnetservice.support.RandomTensors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Native memory of the compiled networks: a forward pass leaves only its output behind, and a compiled
 * network gives back every array it made when it is closed.
 */
class CompiledMemoryTest {

    static int live(NDManager manager) {
        return manager.getManagedArrays().size();
    }

    @ParameterizedTest(name = "{0} ResNet-18, channels-last {1}, features {2}")
    @CsvSource({"TEXTBOOK, false, false", "TEXTBOOK, true, true", "TORCHVISION, true, false", "TORCHVISION, false, true"})
    void aPassLeavesOnlyItsOutputAndClosingGivesEverythingBack(ResNetVariant variant, boolean channelsLast,
            boolean features) {
        int channels = variant == ResNetVariant.TEXTBOOK ? 1 : 3;
        try (NDManager root = NDManager.newBaseManager()) {
            Block net = ResNet.build(ResNetArchitecture.RESNET_18, variant, 10);
            net.initialize(root, DataType.FLOAT32, new Shape(1, channels, 32, 32));
            NDManager model = root.newSubManager();
            int before = live(root) + live(model);
            FoldedResNet folded = FoldedResNet.compile(net, model, channelsLast, features).orElseThrow();
            assertEquals(channelsLast, folded.channelsLast());
            assertEquals(channelsLast ? "folded" : "folded-nchw", folded.name());
            int foldedOnly = live(model);
            if (channelsLast) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> OneDnnResNet.compile(folded, model));
                assertEquals("oneDNN execution takes the folded network in NCHW order", e.getMessage());
            }
            OneDnnResNet oneDnn = channelsLast ? null : OneDnnResNet.compile(folded, model);
            for (Forward forward : oneDnn == null ? new Forward[] {folded} : new Forward[] {folded, oneDnn}) {
                try (NDManager pass = model.newSubManager()) {
                    NDArray x = pass.create(RandomTensors.gaussian(2 * channels * 32 * 32, 3L), new Shape(2, channels, 32, 32));
                    NDArray out = forward.forward(x);
                    assertEquals(new Shape(2, 10 + (features ? 512 : 0)), out.getShape(), forward.name());
                    assertEquals(2, live(pass), forward.name() + ": the input and the output, no intermediate left");
                }
            }
            if (oneDnn != null) {
                oneDnn.close();
            }
            assertEquals(foldedOnly, live(model), "a pass through either network left nothing in the model's manager");
            folded.close();
            assertEquals(0, live(model), "closing the folded network gave back its weights");
            model.close();
            assertEquals(before, live(root), "compiling and closing left nothing in the model's managers");
            assertTrue(net.getParameters().values().stream().allMatch(p -> !p.getArray().isReleased()),
                    "the network it was compiled from keeps its weights");
        }
    }
}
