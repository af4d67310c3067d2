package io.resnetservice.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.ResnetServiceApplication;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelLoadException;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.support.RandomModelServiceTest;
import io.resnetservice.support.TestModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** The startup choices a deployment makes (device, models, default model) and the errors that name the cause. */
class StartupChoicesTest {

    static final Path ONE = RandomModelServiceTest.MODELS.resolve(TestModels.NAME);

    /** The application without its web server, with {@code properties} as command-line options (above application.yaml). */
    static ConfigurableApplicationContext start(String... properties) {
        boolean device = Stream.of(properties).anyMatch(p -> p.startsWith("resnet.device="));
        String[] args = Stream.concat(device ? Stream.empty() : Stream.of("resnet.device=cpu"), Stream.of(properties))
                .map(p -> "--" + p).toArray(String[]::new);
        return new SpringApplicationBuilder(ResnetServiceApplication.class).web(WebApplicationType.NONE).run(args);
    }

    /** A copy of the random model folder under {@code repository}, in folder {@code folder}, named {@code name}. */
    static void copy(Path repository, String folder, String name) throws IOException {
        Path dir = TestModels.copyFolder(ONE, repository.resolve(folder));
        ModelSpec spec = ModelFolder.open(ModelFolder.ModelSource.directory(dir)).spec();
        ModelFolder.writeSpec(dir, new ModelSpec(name, spec.architecture(), spec.depth(), spec.variant(), spec.format(),
                spec.weights(), spec.labels(), spec.input(), spec.preprocess(), spec.calibration(), spec.outOfDistribution(),
                spec.precision(), spec.quantization()));
    }

    static String causes(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage()).append('\n');
        }
        return all.toString();
    }

    static ModelLoadException loadFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ModelLoadException m) {
                return m;
            }
        }
        throw new AssertionError("no ModelLoadException in\n" + causes(e));
    }

    @Test
    void theConfiguredDefaultModelAnswersAndTheOthersAreLoadedToo(@TempDir Path repository) throws IOException {
        copy(repository, "a", "first");
        copy(repository, "b", "second");
        try (ConfigurableApplicationContext context = start("resnet.model-dir=" + repository,
                "resnet.default-model=second")) {
            ModelRegistry registry = context.getBean(ModelRegistry.class);
            assertEquals("second", registry.defaultName());
            assertEquals(2, registry.all().size());
        }
        try (ConfigurableApplicationContext context = start("resnet.model-dir=" + repository)) {
            assertEquals("first", context.getBean(ModelRegistry.class).defaultName(),
                    "without a setting: the first folder by name");
        }
    }

    @Test
    void anUnknownDefaultModelIsAStartupErrorNamingTheLoadedOnes() {
        Exception e = assertThrows(Exception.class, () -> start("resnet.model-dir=" + RandomModelServiceTest.MODELS,
                "resnet.default-model=resnet50"));
        assertEquals("resnet.default-model is \"resnet50\" but the loaded models are [" + TestModels.NAME + "]",
                loadFailure(e).getMessage());
    }

    @Test
    void twoFoldersWithOneNameAreAStartupError(@TempDir Path repository) throws IOException {
        copy(repository, "a", "twin");
        copy(repository, "b", "twin");
        Exception e = assertThrows(Exception.class, () -> start("resnet.model-dir=" + repository));
        assertEquals("two model folders are named \"twin\"", loadFailure(e).getMessage());
    }

    @Test
    void aGpuOnAMachineWithoutOneIsAStartupError() {
        Exception e = assertThrows(Exception.class, () -> start("resnet.model-dir=" + RandomModelServiceTest.MODELS,
                "resnet.device=gpu"));
        String message = loadFailure(e).getMessage();
        assertTrue(message.startsWith("resnet.device is gpu but the PyTorch engine sees 0 GPU(s)"), message);
    }
}
