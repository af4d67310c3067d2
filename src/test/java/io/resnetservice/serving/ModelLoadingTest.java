package io.resnetservice.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resnetservice.config.ResnetProperties;
import io.resnetservice.model.ModelLoadException;
import io.resnetservice.runtime.LoadedModel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.context.ConfigurableApplicationContext;

/** The models' loading begun before the application's beans exist, and handed to the registry. */
class ModelLoadingTest {

    static ResnetProperties properties(String... keysAndValues) {
        Map<String, String> map = new HashMap<>(Map.of(
                "resnet.model-dir", StartupChoicesTest.ONE.getParent().toString(), "resnet.device", "cpu"));
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return new Binder(new MapConfigurationPropertySource(map)).bindOrCreate("resnet", ResnetProperties.class);
    }

    @Test
    void anApplicationTakesTheModelsItsStartBeganLoading() {
        try (ConfigurableApplicationContext context = StartupChoicesTest.start(
                "resnet.model-dir=" + StartupChoicesTest.ONE.getParent())) {
            ModelLoading loading = context.getBean(ModelLoading.class);
            ModelRegistry registry = context.getBean(ModelRegistry.class);
            assertTrue(loading.take(properties()).isEmpty(), "the registry took the started load");
            assertTrue(registry.all().iterator().next().rootManager().isOpen());
        }
    }

    @Test
    void aLoadStartedWithOtherSettingsIsNotTakenAndIsClosedWithTheApplication() {
        ModelLoading loading = ModelLoading.start(properties());
        assertTrue(loading.take(properties("resnet.threads.intra-op", "2")).isEmpty(),
                "other settings: the caller loads its own");
        LoadedModel unused = loading.result().join().models().values().iterator().next();
        loading.destroy();
        assertFalse(unused.rootManager().isOpen());
        ModelLoading again = ModelLoading.start(properties());
        ModelLoading.Loaded loaded = again.take(properties()).orElseThrow();
        LoadedModel model = loaded.models().values().iterator().next();
        assertTrue(again.take(properties()).isEmpty(), "handed over once");
        again.destroy();
        assertTrue(model.rootManager().isOpen(), "what was handed over belongs to the taker");
        model.close();
    }

    @Test
    void anUntakenLoadsModelsAreClosedWithTheApplication() {
        ModelLoading loading = ModelLoading.start(properties());
        LoadedModel model = loading.result().join().models().values().iterator().next();
        assertTrue(model.rootManager().isOpen());
        loading.destroy();
        assertFalse(model.rootManager().isOpen());
        assertTrue(loading.take(properties()).isEmpty(), "destroyed: nothing to hand over");
    }

    @Test
    void aFailedLoadThrowsItsErrorToTheTaker(@TempDir Path empty) {
        ModelLoading loading = ModelLoading.start(properties("resnet.model-dir", empty.toString()));
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> loading.take(properties("resnet.model-dir", empty.toString())));
        assertFalse(e.getMessage().isBlank());
        loading.destroy();
    }

    @Test
    void settingsAreTheOnesTheLoadDependsOn() {
        assertEquals(ModelLoading.Settings.of(properties()), ModelLoading.Settings.of(properties(
                "resnet.batching.max-batch-size", "8")), "batching is not part of loading");
        assertFalse(ModelLoading.Settings.of(properties()).equals(ModelLoading.Settings.of(properties(
                "resnet.threads.inter-op", "1"))));
    }
}
