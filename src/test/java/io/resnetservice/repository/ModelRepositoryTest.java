package io.resnetservice.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.serving.InferenceMetrics;
import io.resnetservice.serving.ModelExecutors;
import io.resnetservice.serving.ModelRegistry;
import io.resnetservice.serving.ServedVersion;
import io.resnetservice.serving.ServiceLoad;
import io.resnetservice.serving.StageSpans;
import io.resnetservice.support.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The repository without a web server: versions, policy, content changes, failures, memory refusals. */
class ModelRepositoryTest {

    @TempDir
    Path dir;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final AtomicLong available = new AtomicLong(-1);
    private ModelExecutors executors;
    private ModelRegistry registry;
    private ModelRepository repository;

    private void start(String... settings) {
        Map<String, String> map = new LinkedHashMap<>(Map.of("resnet.model-dir", dir.toString(), "resnet.device", "cpu"));
        for (int i = 0; i < settings.length; i += 2) {
            map.put(settings[i], settings[i + 1]);
        }
        ResnetProperties properties = new Binder(new MapConfigurationPropertySource(map))
                .bindOrCreate("resnet", ResnetProperties.class);
        executors = new ModelExecutors(properties, meters, StageSpans.OFF, new ServiceLoad());
        registry = new ModelRegistry(properties, executors);
        repository = new ModelRepository(properties, registry, meters, new InferenceMetrics(meters, registry),
                ObservationRegistry.NOOP, () -> available.get() < 0 ? OptionalLong.empty() : OptionalLong.of(available.get()));
    }

    @AfterEach
    void stop() {
        if (repository != null) {
            repository.destroy();
            registry.destroy();
            executors.destroy();
        }
    }

    private Path version(String model, int version) throws IOException {
        return TestModels.writeRandomFashion(dir.resolve(model).resolve(Integer.toString(version)), model);
    }

    private List<String> index() {
        return repository.index().stream().map(s -> s.name() + "/" + s.version() + " " + s.state()).toList();
    }

    private String reason(String model, int version) {
        return repository.index().stream().filter(s -> s.name().equals(model) && s.version().equals("" + version))
                .findFirst().orElseThrow().reason();
    }

    private List<Long> served(String name) {
        return registry.versions(name).stream().map(ServedVersion::version).toList();
    }

    /** Two polls: the first sees new files, the second finds them unchanged and acts. */
    private void settle() {
        repository.pollNow();
        repository.pollNow();
    }

    @Test
    void theHighestVersionServesANewOneReplacesItAndATouchReloadsNothing() throws Exception {
        version("m", 1);
        version("m", 2);
        start();
        assertEquals(List.of(2L), served("m"), "latest: the highest version");
        assertEquals(List.of("m/1 UNAVAILABLE", "m/2 READY"), index());
        ServedVersion two = registry.versions("m").get(0);

        version("m", 3);
        repository.pollNow();
        assertEquals(List.of(2L), served("m"), "files seen for the first time are not loaded yet");
        assertTrue(reason("m", 3).contains("still changing"), reason("m", 3));
        repository.pollNow();
        assertEquals(List.of(3L), served("m"));
        two.closed().get(30, TimeUnit.SECONDS);
        assertEquals(List.of("m/1 UNAVAILABLE", "m/2 UNAVAILABLE", "m/3 READY"), index());
        assertTrue(reason("m", 2).contains("version policy"), reason("m", 2));

        ServedVersion three = registry.versions("m").get(0);
        try (Stream<Path> files = Files.list(dir.resolve("m").resolve("3"))) {
            for (Path file : files.toList()) {
                Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
            }
        }
        settle();
        settle();
        assertSame(three, registry.versions("m").get(0), "same content, new times: no reload");
        assertEquals(1.0, meters.get("model.repository.loads").tag("outcome", "success").counter().count(),
                "only version 3 loaded since startup");
        assertEquals(1.0, meters.get("model.versions").tags("model", "m", "state", "READY").gauge().value());
    }

    @Test
    void changedContentReloadsTheSameVersionAndAFailedVersionIsTriedOnlyWhenItChanges() throws Exception {
        version("m", 1);
        start();
        ServedVersion first = registry.versions("m").get(0);
        TestModels.writeRandomFashion(dir.resolve("m").resolve("1"), "m"); // new weights, same version
        settle();
        ServedVersion reloaded = registry.versions("m").get(0);
        assertTrue(reloaded != first, "new content under the same version reloads it");
        first.closed().get(30, TimeUnit.SECONDS);

        Path broken = Files.createDirectories(dir.resolve("m").resolve("2"));
        Files.writeString(broken.resolve("model.json"), "{\"name\": \"m\", \"depth\": 18");
        settle();
        assertEquals(List.of(1L), served("m"), "a broken version changes nothing that serves");
        assertTrue(reason("m", 2).startsWith("failed to load: "), reason("m", 2));
        double failures = meters.get("model.repository.loads").tags("model", "m", "outcome", "failure").counter().count();
        assertEquals(1.0, failures);
        settle();
        assertEquals(failures, meters.get("model.repository.loads").tags("model", "m", "outcome", "failure").counter()
                .count(), "not tried again while its content is the same");
        TestModels.writeRandomFashion(broken, "m");
        settle();
        assertEquals(List.of(2L), served("m"), "fixed: it loads");
    }

    @Test
    void aLoadThatWouldNotFitIsRefusedWithAReason() throws Exception {
        version("m", 1);
        start();
        version("m", 2);
        available.set(1L << 20);
        settle();
        assertEquals(List.of(1L), served("m"));
        assertTrue(reason("m", 2).contains("MB to load and only 1 MB are available"), reason("m", 2));
    }

    @Test
    void unloadWinsOverPollingUntilALoad() throws Exception {
        version("m", 1);
        version("other", 1);
        start();
        ServedVersion one = registry.versions("m").get(0);
        repository.unload("m");
        assertTrue(one.closed().isDone(), "unload returns once the version closed");
        assertEquals(List.of(), served("m"));
        settle();
        assertEquals(List.of(), served("m"), "polling leaves an unloaded model alone");
        assertEquals("unloaded by request", reason("m", 1));
        repository.load("m");
        assertEquals(List.of(1L), served("m"));
        assertEquals(List.of(1L), served("other"));
    }

    @Test
    void onlyFolderNamesAreTaken() throws Exception {
        version("m", 1);
        Path outside = Files.createDirectories(dir.getParent().resolve(dir.getFileName() + "-outside"));
        Files.createSymbolicLink(dir.resolve("escape"), outside);
        start();
        for (String name : List.of("..", ".", "../m", "m/1", "m\\1", "/etc", "a\u0000b", "http://example.com/m",
                "file:m", ".hidden", "-rf", "")) {
            assertEquals(RepositoryException.Kind.BAD_NAME,
                    assertThrows(RepositoryException.class, () -> repository.load(name), name).kind(), name);
        }
        assertEquals(RepositoryException.Kind.BAD_NAME,
                assertThrows(RepositoryException.class, () -> repository.load("escape")).kind(),
                "a link that leads outside the model folder");
        assertEquals(RepositoryException.Kind.NOT_FOUND,
                assertThrows(RepositoryException.class, () -> repository.load("missing")).kind());
        assertEquals(List.of(1L), served("m"));
    }

    @Test
    void severalVersionsServeUnderAPolicyThatWantsThem() throws Exception {
        version("m", 1);
        version("m", 2);
        version("m", 3);
        start("resnet.model-version-policy", "specific:1,3");
        assertEquals(List.of(1L, 3L), served("m"));
        try (ServedVersion.Lease lease = registry.acquire("m").orElseThrow()) {
            assertEquals("3", lease.version(), "unversioned routes take the highest");
        }
        try (ServedVersion.Lease lease = registry.acquire("m", 1L).orElseThrow()) {
            assertEquals("1", lease.version());
        }
        assertTrue(registry.acquire("m", 2L).isEmpty());
    }
}
