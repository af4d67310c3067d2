package io.resnetservice.serving;

import ai.djl.Device;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.model.ModelLoadException;
import io.resnetservice.runtime.LoadedModel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The model versions the service answers with, by model name and version. The first set is loaded and
 * warmed while the application starts, so the service is not ready before it can classify (a model none
 * of whose versions load stops startup); the model repository publishes and retires versions while it
 * serves. A name's unversioned routes go to its highest version.
 *
 * <p>Requests {@link #acquire} a version and hold it until answered: {@link #publish} switches a name to a
 * new version atomically, and the version it replaces closes once its last request is answered.
 */
@Component
public class ModelRegistry implements DisposableBean {

    /** Each name's served versions; each map is immutable, replaced whole under {@link #lock}. */
    private final Map<String, NavigableMap<Long, ServedVersion>> served = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    private final String defaultName;
    private final Device device;
    private final ModelExecutors executors;
    private final ModelLoading.Loaded startup;
    /** Closes retired versions off the request threads. */
    private final ExecutorService closer = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "model-closer");
        thread.setDaemon(true);
        return thread;
    });

    /** Loads the models {@code properties} name on the calling thread. */
    public ModelRegistry(ResnetProperties properties, ModelExecutors executors) {
        this(properties, executors, ModelLoading.load(properties));
    }

    /**
     * Takes the models {@link ModelLoading.Starter} began loading when the application started, or loads
     * them now where nothing was started with these settings (a context built without Spring Boot's
     * application events).
     */
    @Autowired
    public ModelRegistry(ResnetProperties properties, ModelExecutors executors, ObjectProvider<ModelLoading> started) {
        this(properties, executors, Optional.ofNullable(started.getIfAvailable())
                .flatMap(loading -> loading.take(properties))
                .orElseGet(() -> ModelLoading.load(properties)));
    }

    private ModelRegistry(ResnetProperties properties, ModelExecutors executors, ModelLoading.Loaded loaded) {
        this.device = loaded.device();
        this.executors = executors;
        this.startup = loaded;
        try {
            for (ModelLoading.Served version : loaded.served()) {
                publish(version.model(), version.version().version());
            }
            this.defaultName = chooseDefault(properties.defaultModel(), loaded);
        } catch (RuntimeException e) {
            destroy();
            throw e;
        }
    }

    private String chooseDefault(String configured, ModelLoading.Loaded loaded) {
        if (configured != null && !configured.isBlank()) {
            if (!served.containsKey(configured)) {
                throw new ModelLoadException("resnet.default-model is \"" + configured
                        + "\" but the loaded models are " + names(), null);
            }
            return configured;
        }
        return loaded.served().get(0).model().name();
    }

    /** What startup found and loaded: the repository takes its states from it. */
    public ModelLoading.Loaded startup() {
        return startup;
    }

    /** The model behind {@code /api/v1/classify}. */
    public String defaultName() {
        return defaultName;
    }

    /** Holds {@code name}'s highest served version for one request; empty where none is served. */
    public Optional<ServedVersion.Lease> acquire(String name) {
        return acquire(name, null);
    }

    /** Holds that version of {@code name} (null: its highest) for one request; empty where it is not served. */
    public Optional<ServedVersion.Lease> acquire(String name, Long version) {
        while (true) {
            NavigableMap<Long, ServedVersion> versions = served.get(name);
            if (versions == null || versions.isEmpty()) {
                return Optional.empty();
            }
            ServedVersion candidate = version == null ? versions.lastEntry().getValue() : versions.get(version);
            if (candidate == null) {
                return Optional.empty();
            }
            ServedVersion.Lease lease = candidate.tryAcquire();
            if (lease != null) {
                return Optional.of(lease);
            }
            // Retired between the lookup and the hold: its replacement is already published.
            Thread.onSpinWait();
        }
    }

    /**
     * Serves {@code model} as {@code version} of its name, at once and atomically; a version it replaces
     * (a reload) is retired and closes after its last request.
     */
    public ServedVersion publish(LoadedModel model, long version) {
        ServedVersion next = new ServedVersion(model, version,
                executors.start(model, Long.toString(version)), closer,
                () -> executors.forget(model));
        ServedVersion replaced;
        synchronized (lock) {
            TreeMap<Long, ServedVersion> versions = new TreeMap<>(served.getOrDefault(model.name(), Collections.emptyNavigableMap()));
            replaced = versions.put(version, next);
            served.put(model.name(), Collections.unmodifiableNavigableMap(versions));
        }
        if (replaced != null) {
            replaced.retire();
        }
        return next;
    }

    /** Stops serving {@code version} of {@code name}; empty where it was not served. */
    public Optional<ServedVersion> retire(String name, long version) {
        ServedVersion removed;
        synchronized (lock) {
            NavigableMap<Long, ServedVersion> current = served.get(name);
            if (current == null || !current.containsKey(version)) {
                return Optional.empty();
            }
            TreeMap<Long, ServedVersion> versions = new TreeMap<>(current);
            removed = versions.remove(version);
            if (versions.isEmpty()) {
                served.remove(name);
            } else {
                served.put(name, Collections.unmodifiableNavigableMap(versions));
            }
        }
        removed.retire();
        return Optional.of(removed);
    }

    /** The served versions of {@code name}, lowest first. */
    public List<ServedVersion> versions(String name) {
        NavigableMap<Long, ServedVersion> versions = served.get(name);
        return versions == null ? List.of() : List.copyOf(versions.values());
    }

    /** The names with at least one served version. */
    public Collection<String> names() {
        return List.copyOf(new TreeMap<>(served).keySet());
    }

    /** Each name's highest served version's model. */
    public Collection<LoadedModel> all() {
        List<LoadedModel> models = new ArrayList<>();
        for (String name : names()) {
            NavigableMap<Long, ServedVersion> versions = served.get(name);
            if (versions != null && !versions.isEmpty()) {
                models.add(versions.lastEntry().getValue().model());
            }
        }
        return models;
    }

    /** Whether the default model has a served version: readiness. */
    public boolean defaultServed() {
        NavigableMap<Long, ServedVersion> versions = served.get(defaultName);
        return versions != null && !versions.isEmpty();
    }

    public Device device() {
        return device;
    }

    /** Retires every version and waits until each is closed (the web server has drained by now). */
    @Override
    public void destroy() {
        List<ServedVersion> all = new ArrayList<>();
        synchronized (lock) {
            served.values().forEach(v -> all.addAll(v.values()));
            served.clear();
        }
        all.forEach(ServedVersion::retire);
        for (ServedVersion version : all) {
            try {
                version.closed().get(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // Closing the others matters more; the engine reports its own failures.
            }
        }
        closer.shutdown();
    }
}
