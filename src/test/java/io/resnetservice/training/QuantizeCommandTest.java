package io.resnetservice.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.resnetservice.model.Int8Parameters;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelLoadException;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.runtime.Int8Calibration;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.support.TestImages;
import io.resnetservice.support.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quantize} on a folder of images (any model; labels unknown), what the folder it writes says, and the
 * startup errors a damaged or foreign parameters file gives. The Fashion-MNIST path and the accuracy it keeps
 * are in {@code Int8ServingTest}.
 */
class QuantizeCommandTest {

    @TempDir
    Path temp;

    private Path quantized() throws IOException {
        Path model = TestModels.repositoryWithRandomFashionModel().resolve(TestModels.NAME);
        Path images = Files.createDirectories(temp.resolve("photos"));
        for (int i = 0; i < 12; i++) {
            Files.write(images.resolve(String.format(Locale.ROOT, "photo-%02d.png", i)), TestImages.png(TestImages.grey(40 + i, 36, i)));
        }
        Files.writeString(images.resolve("notes.txt"), "not an image: skipped");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Path out = temp.resolve("int8");
        QuantizeCommand.Result result = QuantizeCommand.run(model, images.toString(), out,
                Int8Calibration.Observer.PERCENTILE, 10, 0, Integer.MAX_VALUE, null, Path.of("unused"), new PrintStream(console, true, StandardCharsets.UTF_8));
        String printed = console.toString(StandardCharsets.UTF_8);
        assertEquals(10, result.calibrationImages(), "--images caps the calibration set");
        assertEquals(10, result.evaluated());
        assertTrue(Double.isNaN(result.fp32Accuracy()) && Double.isNaN(result.int8Accuracy()), "no labels, no accuracy");
        assertTrue(printed.contains("10 calibration images: fp32 and int8 agree on the top class of"), printed);
        return out;
    }

    @Test
    void anImageFolderCalibratesAModelThatServesInInt8() throws IOException {
        Path out = quantized();
        ModelFolder folder = ModelFolder.open(ModelFolder.ModelSource.directory(out));
        ModelSpec spec = folder.spec();
        assertEquals(TestModels.NAME + "-int8", spec.name());
        assertEquals(ModelSpec.Precision.INT8, spec.precision());
        assertEquals(new ModelSpec.Quantization(QuantizeCommand.PARAMETERS, "percentile", "10 images from photos", 10L),
                spec.quantization());
        assertTrue(Files.readString(out.resolve(ModelSpec.FILE_NAME)).contains("\"precision\" : \"int8\""));
        try (LoadedModel model = LoadedModel.load(folder, Device.cpu())) {
            assertEquals("int8", model.executionName());
            assertEquals(ModelSpec.Precision.INT8, model.precision());
            float[][] p = model.forward(new float[2 * model.preprocessor().tensorSize()], 2);
            double sum = 0;
            for (float v : p[1]) {
                sum += v;
            }
            assertEquals(1, sum, 1e-4);
        }
    }

    @Test
    void aDamagedOrForeignParametersFileIsAStartupErrorNamingIt() throws IOException {
        Path out = quantized();
        Path file = out.resolve(QuantizeCommand.PARAMETERS);
        byte[] good = Files.readAllBytes(file);
        Files.write(file, "not a zip".getBytes(StandardCharsets.US_ASCII));
        String damaged = assertThrows(ModelLoadException.class, () -> LoadedModel.load(
                ModelFolder.open(ModelFolder.ModelSource.directory(out)), Device.cpu())).getMessage();
        assertTrue(damaged.contains(file.toString()) && damaged.contains("cannot read the int8 quantization parameters"),
                damaged);

        Int8Parameters parameters;
        try (InputStream in = new java.io.ByteArrayInputStream(good)) {
            parameters = Int8Parameters.read(in);
        }
        Int8Parameters fewer = new Int8Parameters(parameters.activations().subList(1, parameters.activations().size()),
                parameters.weightScales());
        try (OutputStream o = Files.newOutputStream(file)) {
            fewer.write(o);
        }
        String foreign = assertThrows(ModelLoadException.class, () -> LoadedModel.load(
                ModelFolder.open(ModelFolder.ModelSource.directory(out)), Device.cpu())).getMessage();
        assertEquals(file + ": cannot run the model in int8: holds 28 activation encodings, the network has 29", foreign);
    }

    @Test
    void onlyAFloatModelIsQuantizedAndTheSourceMustExist() throws IOException {
        Path out = quantized();
        String twice = assertThrows(IllegalArgumentException.class, () -> QuantizeCommand.run(out, "fashion-mnist",
                temp.resolve("again"), Int8Calibration.Observer.MINMAX, 10, 10, Integer.MAX_VALUE, null, Path.of("unused"), System.out)).getMessage();
        assertEquals(out + " is already int8; quantize the fp32 model it was made from", twice);
        Path model = TestModels.repositoryWithRandomFashionModel().resolve(TestModels.NAME);
        String missing = assertThrows(IllegalArgumentException.class, () -> QuantizeCommand.run(model,
                temp.resolve("nowhere").toString(), temp.resolve("x"), Int8Calibration.Observer.MINMAX, 10, 10, Integer.MAX_VALUE, null,
                Path.of("unused"), System.out)).getMessage();
        assertTrue(missing.startsWith("--calibration must be \"fashion-mnist\" or a folder of images"), missing);
    }
}
