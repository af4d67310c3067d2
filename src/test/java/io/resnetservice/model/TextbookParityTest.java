package io.resnetservice.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.support.Python;
import io.resnetservice.support.RandomTensors;
import io.resnetservice.support.TestModels;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our Java-built TEXTBOOK ResNet-18 is the textbook network: a PyTorch build of it (d2l.ai's ResNet-18, as the
 * seed wrote it) given our weights answers with our logits, through our blocks and as the service runs it.
 */
class TextbookParityTest {

    @Test
    void aPyTorchBuildOfTheTextbookNetworkGivesOurLogits(@TempDir Path tmp) throws IOException {
        Python.assumeTorchvision();
        int size = 28;
        int batch = 3;
        Path repository = TestModels.repositoryWithRandomFashionModel();
        Path dir = repository.resolve(TestModels.NAME);
        float[] input = RandomTensors.gaussian(batch * size * size, new Random(4));
        float[] ours;
        try (NDManager manager = NDManager.newBaseManager()) {
            JniUtils.setGradMode(false);
            ModelFolder folder = ModelFolder.open(ModelFolder.ModelSource.directory(dir));
            Block net = folder.newBlock();
            folder.loadWeights(net, manager);
            // Freshly initialised BatchNorms fold into nothing: give them statistics like a trained network's.
            Random random = new Random(8);
            Map<String, Npz.Array> weights = new LinkedHashMap<>();
            for (var pair : net.getParameters()) {
                Parameter p = pair.getValue();
                String name = pair.getKey();
                float[] values = p.getArray().toFloatArray();
                if (name.endsWith("gamma") || name.endsWith("runningVar")) {
                    for (int i = 0; i < values.length; i++) {
                        values[i] = 0.5f + random.nextFloat();
                    }
                } else if (name.endsWith("beta") || name.endsWith("runningMean")) {
                    for (int i = 0; i < values.length; i++) {
                        values[i] = (float) random.nextGaussian() * 0.2f;
                    }
                }
                p.getArray().set(values);
                weights.put(String.format(Locale.ROOT, "p%03d", weights.size()), new Npz.Array(p.getArray().getShape().getShape(), values));
            }
            assertEquals(110, weights.size(), "stem 2+4, 8 blocks of 2x(2+4), 3 projections of 2, fc 2");
            try (OutputStream out = Files.newOutputStream(tmp.resolve("weights.npz"))) {
                Npz.write(out, weights);
            }
            try (NDManager m = manager.newSubManager()) {
                NDArray x = m.create(input, new Shape(batch, 1, size, size));
                ours = net.forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow().toFloatArray();
            }
            ModelFolder.write(dir, folder.spec(), folder.labels(), net);
        }
        try (OutputStream out = Files.newOutputStream(tmp.resolve("inputs.npz"))) {
            Npz.write(out, Map.of("inputs", new Npz.Array(new long[] {batch, 1, size, size}, input)));
        }
        String printed = Python.tool("textbook_reference.py", "--weights", tmp.resolve("weights.npz").toString(),
                "--inputs", tmp.resolve("inputs.npz").toString(), "--out", tmp.resolve("logits.npy").toString());
        float[] torch = Npz.readNpy(Files.readAllBytes(tmp.resolve("logits.npy")), "logits").data();
        double blocks = TorchvisionParityTest.maxAbsDiff(torch, ours);
        double served;
        try (LoadedModel model = LoadedModel.load(ModelFolder.open(ModelFolder.ModelSource.directory(dir)), Device.cpu())) {
            assertEquals("onednn", model.executionName());
            assertEquals(size, model.spec().input().height());
            served = TorchvisionParityTest.maxAbsDiff(torch, TorchvisionParityTest.flat(model.logits(input, batch)));
        }
        System.out.printf(Locale.ROOT, "textbook parity: %s; max |logit difference| vs PyTorch: our blocks %.2e, as served %.2e%n",
                printed.strip(), blocks, served);
        double scale = 0;
        for (float v : torch) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertTrue(scale > 0.1, "logits of some size: " + scale);
        assertTrue(blocks < 1e-4 * Math.max(1, scale), "our blocks vs PyTorch: " + blocks);
        assertTrue(served < 1e-4 * Math.max(1, scale), "as served (folded, oneDNN) vs PyTorch: " + served);
    }
}
