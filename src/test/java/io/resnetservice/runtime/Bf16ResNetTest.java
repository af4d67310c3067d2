package io.resnetservice.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.model.ResNet;
import io.resnetservice.model.ResNetArchitecture;
import io.resnetservice.model.ResNetVariant;
import io.resnetservice.support.RandomTensors;
import io.resnetservice.support.TestModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code precision: bf16}: oneDNN's bfloat16 convolutions where the CPU has them, a clear refusal where not. */
class Bf16ResNetTest {

    @Test
    void theCpuFlagsAreReadFromCpuinfo() {
        String cpuinfo = "processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse2 avx2 avx512f avx512_vnni avx512_bf16\n"
                + "processor\t: 1\nflags\t\t: fpu\n";
        CpuFeatures cpu = CpuFeatures.parse(cpuinfo);
        assertEquals(Set.of("fpu", "sse2", "avx2", "avx512f", "avx512_vnni", "avx512_bf16"), cpu.flags(),
                "the first processor's flags, exactly");
        assertTrue(cpu.bf16());
        assertTrue(cpu.int8DotProduct());
        assertTrue(CpuFeatures.parse("flags : amx_bf16 amx_tile amx_int8\n").bf16());
        CpuFeatures avx2 = CpuFeatures.parse("flags\t: fpu avx2 fma\n");
        assertFalse(avx2.bf16());
        assertFalse(avx2.int8DotProduct());
        assertFalse(CpuFeatures.parse("no flags here\n").bf16());
        assertEquals(Set.of(), CpuFeatures.parse("flagship\t: avx512_bf16\n").flags(), "only the line named flags");
        assertTrue(CpuFeatures.current().flags().contains("fpu"), "this machine's own cpuinfo (Linux, x86)");
    }

    @Test
    void aCpuWithoutBfloat16IsRefusedSayingWhatToDoInstead() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block net = ResNet.build(ResNetArchitecture.RESNET_18, ResNetVariant.TEXTBOOK, 10);
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 28, 28));
            String message = assertThrows(IllegalArgumentException.class,
                    () -> Forward.bf16(net, manager, new CpuFeatures(Set.of("avx2", "avx512f")), false)).getMessage();
            assertEquals("precision bf16 needs a CPU with AVX512-BF16 or AMX (its flags have neither avx512_bf16 nor"
                    + " amx_bf16); serve this model in fp32, or quantize it to int8", message);
        }
    }

    private static float[] run(Forward net, NDManager manager, float[] input, Shape shape) {
        try (NDManager m = manager.newSubManager()) {
            return net.forward(m.create(input, shape)).toFloatArray();
        }
    }

    /** bfloat16 keeps 8 bits of mantissa: close to fp32 (cosine >= 0.99), never equal to it (it really ran). */
    @ParameterizedTest(name = "{0} ResNet-{1}, {2} channels at {3}x{3}")
    @CsvSource({"TEXTBOOK, 18, 1, 28", "TORCHVISION, 18, 3, 64", "TORCHVISION, 50, 3, 64"})
    void bfloat16TracksTheFloatNetwork(ResNetVariant variant, int depth, int channels, int size) {
        Assumptions.assumeTrue(CpuFeatures.current().bf16(), "this CPU has neither AVX512-BF16 nor AMX");
        try (NDManager manager = NDManager.newBaseManager()) {
            JniUtils.setGradMode(false);
            Block net = ResNet.build(ResNetArchitecture.ofDepth(depth), variant, 10);
            net.initialize(manager, DataType.FLOAT32, new Shape(1, channels, size, size));
            Random random = new Random(depth + size);
            try (FoldedResNet folded = FoldedResNet.compile(net, manager, false, true).orElseThrow();
                    Forward bf16 = Forward.bf16(net, manager, CpuFeatures.current(), true)) {
                assertEquals("onednn-bf16", bf16.name());
                for (int batch : new int[] {1, 4}) {
                    float[] input = RandomTensors.gaussian(batch * channels * size * size, random);
                    Shape shape = new Shape(batch, channels, size, size);
                    float[] expected = run(folded, manager, input, shape);
                    float[] actual = run(bf16, manager, input, shape);
                    assertEquals(expected.length, actual.length, "logits and features per image");
                    double cosine = io.resnetservice.training.Reliability.cosine(expected, actual);
                    assertTrue(cosine >= 0.99, "cosine to fp32 " + cosine);
                    assertTrue(cosine < 0.999999, "bf16 differs from fp32 (cosine " + cosine + ")");
                }
            }
        }
    }

    @Test
    void aModelFolderSayingBf16LoadsAsBf16WhereTheCpuHasIt() throws IOException {
        Path dir = TestModels.repositoryWithRandomFashionModel().resolve(TestModels.NAME);
        ModelSpec spec = ModelFolder.open(ModelFolder.ModelSource.directory(dir)).spec();
        ModelFolder.writeSpec(dir, spec.with(spec.name(), ModelSpec.Precision.BF16, null));
        ModelFolder folder = ModelFolder.open(ModelFolder.ModelSource.directory(dir));
        assertEquals(ModelSpec.Precision.BF16, folder.spec().precision());
        if (!CpuFeatures.current().bf16()) {
            String message = assertThrows(io.resnetservice.model.ModelLoadException.class,
                    () -> LoadedModel.load(folder, Device.cpu())).getMessage();
            assertTrue(message.contains("model.json: precision bf16 needs a CPU with AVX512-BF16 or AMX"), message);
            return;
        }
        try (LoadedModel model = LoadedModel.load(folder, Device.cpu())) {
            assertEquals("onednn-bf16", model.executionName());
            assertEquals(ModelSpec.Precision.BF16, model.precision());
        }
    }
}
