package io.resnetservice.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.support.Python;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our Java-built TORCHVISION-variant ResNet is torchvision's network: the same seeded weights give the
 * same logits, loaded into our blocks from the state_dict and run as TorchScript.
 */
class TorchvisionParityTest {

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    static float[] flat(float[][] rows) {
        int n = rows[0].length;
        float[] out = new float[rows.length * n];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * n, n);
        }
        return out;
    }

    static LoadedModel load(Path dir) {
        return LoadedModel.load(ModelFolder.open(ModelFolder.ModelSource.directory(dir)), Device.cpu());
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "resnet50"})
    void ourBlocksAndTorchScriptAgreeWithTorchvision(String arch, @TempDir Path tmp) throws IOException {
        Python.assumeTorchvision();
        Path npz = tmp.resolve(arch + "-npz");
        Path script = tmp.resolve(arch + "-ts");
        Python.tool("torchvision_export.py", "--arch", arch, "--seed", "3", "--out", npz.toString(), "--reference", "2");
        Python.tool("torchvision_export.py", "--arch", arch, "--seed", "3", "--format", "torchscript",
                "--out", script.toString());
        Npz.Array inputs = Npz.readNpy(Files.readAllBytes(npz.resolve("reference-inputs.npy")), "inputs");
        float[] expected = Npz.readNpy(Files.readAllBytes(npz.resolve("reference-logits.npy")), "logits").data();

        try (LoadedModel ours = load(npz); LoadedModel torchScript = load(script)) {
            assertEquals(1000, ours.labels().size());
            assertEquals("tench", ours.labels().get(0));
            double oursDiff = maxAbsDiff(expected, flat(ours.logits(inputs.data(), 2)));
            double scriptDiff = maxAbsDiff(expected, flat(torchScript.logits(inputs.data(), 2)));
            System.out.printf(Locale.ROOT, "%s parity, max |logit difference| vs torchvision: our blocks %.2e, TorchScript %.2e%n",
                    arch, oursDiff, scriptDiff);
            assertTrue(oursDiff < 1e-4, arch + " our blocks: " + oursDiff);
            assertTrue(scriptDiff < 1e-4, arch + " TorchScript: " + scriptDiff);
            String file = ModelFolder.open(ModelFolder.ModelSource.directory(script)).spec().weights();
            assertEquals(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(Files.readAllBytes(script.resolve(file)))), torchScript.weightsSha256(),
                    "the TorchScript file's digest");
            // Read as a stream into the network, the .npz is still digested whole.
            assertEquals(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(Files.readAllBytes(npz.resolve("weights.npz")))), ours.weightsSha256(), "the .npz file's digest");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void everyTorchvisionNameMapsToOneOfOurParameters() {
        try (NDManager manager = NDManager.newBaseManager()) {
            var net = ResNet.build(ResNetArchitecture.RESNET_50, ResNetVariant.TORCHVISION, 1000);
            net.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, new ai.djl.ndarray.types.Shape(1, 3, 224, 224));
            Map<String, ai.djl.nn.Parameter> names = TorchvisionWeights.names(net);
            // torchvision resnet50's state_dict: 320 tensors, of which 53 are num_batches_tracked counters.
            assertEquals(320 - 53, names.size());
            assertTrue(names.values().stream().allMatch(java.util.Objects::nonNull));
            assertEquals(names.size(), new java.util.HashSet<>(names.values()).size(), "one name per parameter");
            assertTrue(names.containsKey("layer2.0.downsample.0.weight"));
            assertTrue(names.containsKey("layer4.2.bn3.running_var"));
        }
    }

    /** The state_dict as the .npz file a folder holds, for the streaming load. */
    static java.io.InputStream npz(Map<String, Npz.Array> state) {
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            Npz.write(out, state);
            return new java.io.ByteArrayInputStream(out.toByteArray());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void load(ResNet net, Map<String, Npz.Array> state, NDManager manager) throws IOException {
        TorchvisionWeights.load(net, npz(state), manager, "weights.npz");
    }

    @Test
    void missingUnexpectedAndMisshapedTensorsAreListed() {
        try (NDManager manager = NDManager.newBaseManager()) {
            var net = ResNet.build(ResNetArchitecture.RESNET_18, ResNetVariant.TORCHVISION, 10);
            net.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, new ai.djl.ndarray.types.Shape(1, 3, 64, 64));
            Map<String, Npz.Array> state = new HashMap<>();
            TorchvisionWeights.names(net).forEach((name, p) -> state.put(name,
                    new Npz.Array(p.getArray().getShape().getShape(), new float[(int) p.getArray().size()])));
            state.remove("layer1.0.conv1.weight");
            state.put("layer9.0.conv1.weight", new Npz.Array(new long[] {1}, new float[1]));
            state.put("fc.bias", new Npz.Array(new long[] {1000}, new float[1000]));
            ModelLoadException e = assertThrows(ModelLoadException.class,
                    () -> load(net, state, manager));
            assertTrue(e.getMessage().contains("missing [layer1.0.conv1.weight]"), e.getMessage());
            assertTrue(e.getMessage().contains("unexpected [layer9.0.conv1.weight]"), e.getMessage());
            assertTrue(e.getMessage().contains("fc.bias is [1000], expected (10)"), e.getMessage());
        }
    }

    @Test
    void loadedValuesReplaceTheInitialOnes() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            var net = ResNet.build(ResNetArchitecture.RESNET_18, ResNetVariant.TORCHVISION, 10);
            net.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, new ai.djl.ndarray.types.Shape(1, 3, 64, 64));
            Map<String, Npz.Array> state = new HashMap<>();
            TorchvisionWeights.names(net).forEach((name, p) -> {
                float[] values = new float[(int) p.getArray().size()];
                java.util.Arrays.fill(values, name.hashCode() % 97 / 100f);
                state.put(name, new Npz.Array(p.getArray().getShape().getShape(), values));
            });
            load(net, state, manager);
            var names = TorchvisionWeights.names(net);
            assertArrayEquals(state.get("fc.bias").data(), names.get("fc.bias").getArray().toFloatArray());
            assertArrayEquals(state.get("layer3.1.bn2.running_mean").data(),
                    names.get("layer3.1.bn2.running_mean").getArray().toFloatArray());
        }
    }
}
