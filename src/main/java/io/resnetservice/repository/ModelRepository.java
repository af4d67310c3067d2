package io.resnetservice.repository;

import ai.djl.Device;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.runtime.Execution;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.runtime.ModelFolders;
import io.resnetservice.runtime.VersionPolicy;
import io.resnetservice.serving.InferenceMetrics;
import io.resnetservice.serving.ModelLoading;
import io.resnetservice.serving.ModelRegistry;
import io.resnetservice.serving.ServedVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The model repository: the versions on disk under {@code resnet.model-dir} ({@code <name>/<version>/}, or a
 * flat {@code <name>/model.json} as version 1), each one's state, and the loads, reloads and unloads that
 * change what the {@link ModelRegistry} serves: on request ({@link #load}, {@link #unload}) and, with
 * {@code resnet.model-poll-interval} set, by polling the disk.
 *
 * <p>Everything that changes the served set runs on one thread, so explicit calls and polling never
 * interleave. An explicit unload wins over polling: polling leaves that model alone until an explicit load.
 * A new or changed version loads and warms beside the serving one, then replaces it atomically; the old one
 * finishes its requests and closes. A version that fails to load changes nothing that serves, and is tried
 * again only when its content changes.
 */
@Component
public class ModelRepository implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ModelRepository.class);

    /** A bare folder name: no separator, no control character, not {@code .} or {@code ..}. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");

    private record Key(String folder, long version) {}

    private static final String NOT_LOADED = "not loaded";
    private static final String CHANGING = "its files are still changing: it loads once a poll finds them as the last did";

    /** What the repository knows of one version; fields change only on the repository's thread. */
    private static final class Entry {
        volatile VersionState state = VersionState.UNAVAILABLE;
        volatile String reason = NOT_LOADED;
        /** The content it serves (READY), or last served: what a poll compares with. */
        volatile String digest;
        /** The content that last failed to load: not tried again until the content differs. */
        volatile String failed;
        /** The model.json name it serves under, once loaded. */
        volatile String servedName;
    }

    private final Path modelDir;
    private final ModelRegistry registry;
    private final VersionPolicy policy;
    private final Device device;
    private final Execution execution;
    private final Duration pollInterval;
    private final MeterRegistry meters;
    private final InferenceMetrics inferenceMetrics;
    private final ObservationRegistry observations;
    private final Supplier<OptionalLong> availableMemory;
    private final Map<Key, Entry> entries = new ConcurrentHashMap<>();
    /** Fingerprints seen by the last poll: a version loads only once two polls in a row see the same. */
    private final Map<Key, ContentFingerprint> lastSeen = new ConcurrentHashMap<>();
    private final Set<String> unloadedByRequest = ConcurrentHashMap.newKeySet();
    private final Set<String> metered = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService worker;

    @Autowired
    public ModelRepository(ResnetProperties properties, ModelRegistry registry, MeterRegistry meters,
            InferenceMetrics inferenceMetrics, ObjectProvider<ObservationRegistry> observations) {
        this(properties, registry, meters, inferenceMetrics,
                observations.getIfAvailable(() -> ObservationRegistry.NOOP), MemoryHeadroom::available);
    }

    ModelRepository(ResnetProperties properties, ModelRegistry registry, MeterRegistry meters,
            InferenceMetrics inferenceMetrics, ObservationRegistry observations,
            Supplier<OptionalLong> availableMemory) {
        this.modelDir = properties.modelDir() == null ? null : properties.modelDir().toAbsolutePath().normalize();
        this.registry = registry;
        this.policy = VersionPolicy.parse(properties.modelVersionPolicy());
        this.device = registry.device();
        this.execution = properties.execution();
        this.pollInterval = properties.modelPollInterval();
        this.meters = meters;
        this.inferenceMetrics = inferenceMetrics;
        this.observations = observations;
        this.availableMemory = availableMemory;
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "model-repository");
            thread.setDaemon(true);
            return thread;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.worker = executor;
        ModelLoading.Loaded startup = registry.startup();
        for (ModelLoading.Served served : startup.served()) {
            Entry entry = entry(key(served.version()));
            entry.state = VersionState.READY;
            entry.reason = null;
            entry.servedName = served.model().name();
            meter(served.version().model());
        }
        for (ModelLoading.Failure failure : startup.failures()) {
            Entry entry = entry(key(failure.version()));
            entry.reason = failure.reason();
            meter(failure.version().model());
        }
        if (modelDir != null) {
            // What was loaded at startup, for polls to compare with; off the startup path.
            worker.execute(() -> {
                startup.served().forEach(s -> baseline(s.version(), true));
                startup.failures().forEach(f -> baseline(f.version(), false));
            });
            if (!pollInterval.isZero() && !pollInterval.isNegative()) {
                worker.scheduleWithFixedDelay(this::pollQuietly, pollInterval.toMillis(), pollInterval.toMillis(),
                        TimeUnit.MILLISECONDS);
                log.info("Polling {} for model versions every {} (version policy {})", modelDir, pollInterval, policy);
            }
        }
    }

    /** Records what a version loaded at startup (or failed to) holds, as if a poll had seen it twice. */
    private void baseline(ModelFolders.Version version, boolean loaded) {
        Key key = key(version);
        if (loaded) {
            entry(key).digest = digest(version);
        } else {
            entry(key).failed = digest(version);
        }
        try {
            lastSeen.put(key, ContentFingerprint.of(version.path(), version.flat()));
        } catch (IOException e) {
            // the first poll reads it again
        }
    }

    /** Every version on disk, and any still serving that left the disk, by name and version. */
    public List<VersionStatus> index() {
        Map<Key, VersionStatus> index = new LinkedHashMap<>();
        if (modelDir == null) {
            for (ModelLoading.Served served : registry.startup().served()) {
                Entry entry = entry(key(served.version()));
                index.put(key(served.version()), status(served.model().name(), 1, entry));
            }
            return List.copyOf(index.values());
        }
        for (ModelFolders.Version version : onDisk()) {
            Key key = key(version);
            Entry entry = entries.get(key);
            index.put(key, entry != null ? status(key.folder(), key.version(), entry)
                    : new VersionStatus(key.folder(), Long.toString(key.version()), VersionState.UNAVAILABLE,
                            version.complete() ? "not loaded" : "no model.json"));
        }
        entries.forEach((key, entry) -> {
            if (!index.containsKey(key) && entry.state != VersionState.UNAVAILABLE) {
                index.put(key, status(key.folder(), key.version(), entry));
            }
        });
        return index.values().stream()
                .sorted(Comparator.comparing(VersionStatus::name).thenComparingLong(s -> Long.parseLong(s.version())))
                .toList();
    }

    /** The index entries of the model that serves as {@code servedName}. */
    public List<VersionStatus> versionsOf(String servedName) {
        List<String> folders = entries.entrySet().stream()
                .filter(e -> servedName.equals(e.getValue().servedName))
                .map(e -> e.getKey().folder()).distinct().toList();
        return index().stream()
                .filter(s -> folders.contains(s.name()) || (modelDir == null && s.name().equals(servedName)))
                .toList();
    }

    /**
     * Loads (or reloads, where its content changed) the versions of model folder {@code name} that the
     * version policy wants, and stops serving its other versions; returns once they serve.
     *
     * @throws RepositoryException for a name that is not a folder directly under the model folder, or when
     *     none of the wanted versions loads (what served before keeps serving)
     */
    public void load(String name) {
        Path folder = folder(name);
        call(() -> {
            unloadedByRequest.remove(name);
            sync(name, folder, false);
            List<ServedVersion> served = servedOf(name);
            if (served.isEmpty()) {
                String reasons = index().stream().filter(s -> s.name().equals(name) && s.reason() != null)
                        .map(s -> "version " + s.version() + ": " + s.reason()).reduce((a, b) -> a + "; " + b)
                        .orElse("it holds no version with a model.json");
                throw new RepositoryException(RepositoryException.Kind.LOAD_FAILED,
                        "model \"" + name + "\" did not load: " + reasons);
            }
            return null;
        });
    }

    /**
     * Stops serving every version of model folder {@code name}; polling leaves it unloaded until it is
     * loaded again by request. Returns once the versions have finished their requests and closed.
     */
    public void unload(String name) {
        folderName(name);
        List<ServedVersion> retired = call(() -> {
            unloadedByRequest.add(name);
            List<ServedVersion> done = new ArrayList<>();
            for (Map.Entry<Key, Entry> e : List.copyOf(entries.entrySet())) {
                if (e.getKey().folder().equals(name) && e.getValue().state == VersionState.READY) {
                    retire(e.getKey(), e.getValue(), "unloaded by request").ifPresent(done::add);
                }
            }
            if (done.isEmpty() && (modelDir == null || !Files.isDirectory(modelDir.resolve(name)))) {
                throw new RepositoryException(RepositoryException.Kind.NOT_FOUND, "no model folder \"" + name + "\"");
            }
            return done;
        });
        for (ServedVersion version : retired) {
            try {
                version.closed().get(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | TimeoutException e) {
                log.warn("Model {} version {} did not close cleanly: {}", name, version.version(), e.toString());
            }
        }
    }

    /** One poll of the disk, now, on the repository's thread (tests; the schedule calls the same). */
    void pollNow() {
        call(() -> {
            poll();
            return null;
        });
    }

    private void pollQuietly() {
        try {
            poll();
        } catch (RuntimeException e) {
            log.warn("Polling {} failed: {}", modelDir, e.toString());
        }
    }

    private void poll() {
        List<ModelFolders.Version> disk = onDisk();
        Map<String, List<ModelFolders.Version>> byFolder = new LinkedHashMap<>();
        disk.forEach(v -> byFolder.computeIfAbsent(v.model(), k -> new ArrayList<>()).add(v));
        // Gone from disk: stop serving.
        for (Map.Entry<Key, Entry> e : List.copyOf(entries.entrySet())) {
            Key key = e.getKey();
            boolean there = byFolder.getOrDefault(key.folder(), List.of()).stream()
                    .anyMatch(v -> v.version() == key.version() && v.complete());
            if (!there) {
                lastSeen.remove(key);
                if (e.getValue().state == VersionState.READY && !unloadedByRequest.contains(key.folder())) {
                    retire(key, e.getValue(), "removed from disk");
                }
                if (e.getValue().state == VersionState.UNAVAILABLE) {
                    entries.remove(key);
                }
            }
        }
        for (String folder : byFolder.keySet()) {
            if (!unloadedByRequest.contains(folder)) {
                sync(folder, modelDir.resolve(folder), true);
            }
        }
    }

    /**
     * Brings one model folder in line with the disk and the version policy: loads wanted versions that are
     * new or changed (with {@code settledOnly}, only those whose files two polls in a row saw unchanged),
     * highest first, until the policy has its count; then retires served versions it no longer wants.
     */
    private void sync(String folder, Path path, boolean settledOnly) {
        List<ModelFolders.Version> versions;
        try {
            versions = ModelFolders.versionsOf(path);
        } catch (IOException e) {
            log.warn("Model folder {} cannot be read: {}", folder, e.toString());
            return;
        }
        meter(folder);
        List<ModelFolders.Version> settled = new ArrayList<>();
        Set<Long> changing = new java.util.HashSet<>();
        for (ModelFolders.Version version : versions) {
            Key key = key(version);
            if (!version.complete()) {
                continue;
            }
            ContentFingerprint now;
            try {
                now = ContentFingerprint.of(version.path(), version.flat());
            } catch (IOException e) {
                continue;
            }
            ContentFingerprint before = lastSeen.put(key, now);
            Entry entry = entries.get(key);
            if (settledOnly && !now.equals(before)) {
                if (entry != null && entry.state == VersionState.READY) {
                    changing.add(version.version()); // keeps serving what it loaded until the new content settles
                    settled.add(version);
                } else {
                    entry(key).reason = CHANGING;
                }
                continue;
            }
            settled.add(version);
        }
        List<Long> order = policy.candidates(settled.stream().map(ModelFolders.Version::version).toList());
        int wanted = policy.wanted(order.size());
        List<Long> serving = new ArrayList<>();
        for (long number : order) {
            if (serving.size() == wanted) {
                break;
            }
            ModelFolders.Version version = settled.stream().filter(v -> v.version() == number).findFirst().orElseThrow();
            Key key = key(version);
            Entry entry = entry(key);
            if (changing.contains(number)) {
                serving.add(number);
                continue;
            }
            String digest = digest(version);
            if (digest == null) {
                continue;
            }
            if (entry.state == VersionState.READY && digest.equals(entry.digest)) {
                serving.add(number);
                continue;
            }
            if (digest.equals(entry.failed)) {
                if (entry.state == VersionState.READY) {
                    serving.add(number); // its earlier content still serves
                }
                continue; // failed with this content before: tried again when it changes
            }
            if (loadVersion(key, version, entry, digest) || entry.state == VersionState.READY) {
                serving.add(number); // loaded, or its old content still serves after a failed reload
            }
        }
        for (ModelFolders.Version version : settled) {
            Entry entry = entry(key(version));
            if (!serving.contains(version.version()) && entry.state == VersionState.UNAVAILABLE && entry.failed == null
                    && (entry.reason == null || entry.reason.equals(NOT_LOADED) || entry.reason.equals(CHANGING))) {
                entry.reason = "not wanted by the version policy " + policy;
            }
        }
        for (Map.Entry<Key, Entry> e : List.copyOf(entries.entrySet())) {
            Key key = e.getKey();
            if (key.folder().equals(folder) && e.getValue().state == VersionState.READY
                    && !serving.contains(key.version())) {
                retire(key, e.getValue(), "not wanted by the version policy " + policy);
            }
        }
    }

    /** Loads and warms one version beside what serves, then serves it; false (and why, in its entry) if not. */
    private boolean loadVersion(Key key, ModelFolders.Version version, Entry entry, String digest) {
        VersionState before = entry.state;
        String folder = key.folder();
        entry.state = before == VersionState.READY ? VersionState.READY : VersionState.LOADING;
        long start = System.nanoTime();
        Observation observation = Observation.createNotStarted("model.load", observations)
                .lowCardinalityKeyValue("model", folder)
                .highCardinalityKeyValue("model.version", Long.toString(key.version()))
                .start();
        try (Observation.Scope scope = observation.openScope()) {
            refuseWhenItWouldNotFit(version);
            LoadedModel model = ModelLoading.loadVersion(version, device, execution);
            String clash = clash(folder, model.name());
            if (clash != null) {
                model.close();
                throw new IllegalStateException(clash);
            }
            registry.publish(model, key.version());
            inferenceMetrics.modelServed(model.name());
            entry.state = VersionState.READY;
            entry.reason = null;
            entry.digest = digest;
            entry.failed = null;
            entry.servedName = model.name();
            loads(folder, "success").increment();
            loadTime(folder).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            log.info("Model {} version {} serves ({} from {}; {} s)", folder, key.version(),
                    before == VersionState.READY ? "reloaded" : "loaded", version.path().getFileName(),
                    String.format(Locale.ROOT, "%.2f", (System.nanoTime() - start) / 1e9));
            return true;
        } catch (RuntimeException e) {
            observation.error(e);
            String reason = withoutModelDir(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            entry.failed = digest;
            if (before == VersionState.READY) {
                entry.state = VersionState.READY;
                entry.reason = null;
                log.warn("Model {} version {} did not reload, its previous content keeps serving: {}", folder,
                        key.version(), reason);
            } else {
                entry.state = VersionState.UNAVAILABLE;
                entry.reason = "failed to load: " + reason;
                log.warn("Model {} version {} failed to load: {}", folder, key.version(), reason);
            }
            loads(folder, "failure").increment();
            return false;
        } catch (Error e) {
            entry.state = before == VersionState.READY ? VersionState.READY : VersionState.UNAVAILABLE;
            entry.reason = "failed to load: " + e;
            entry.failed = digest;
            observation.error(e);
            throw e;
        } finally {
            observation.stop();
        }
    }

    /** A reason as the index shows it: paths relative to the model folder. */
    private String withoutModelDir(String reason) {
        return modelDir == null ? reason : reason.replace(modelDir + java.io.File.separator, "");
    }

    /** Why {@code served} cannot serve from {@code folder}; null where it can. */
    private String clash(String folder, String served) {
        for (Map.Entry<Key, Entry> e : entries.entrySet()) {
            String other = e.getValue().servedName;
            if (other == null || e.getValue().state != VersionState.READY) {
                continue;
            }
            if (e.getKey().folder().equals(folder) && !other.equals(served)) {
                return "its model.json names \"" + served + "\" but the folder's other versions serve as \"" + other + "\"";
            }
            if (!e.getKey().folder().equals(folder) && other.equals(served)) {
                return "its model.json names \"" + served + "\", which folder \"" + e.getKey().folder() + "\" serves";
            }
        }
        return null;
    }

    private void refuseWhenItWouldNotFit(ModelFolders.Version version) {
        long bytes;
        try {
            bytes = ContentFingerprint.bytes(version.path(), version.flat());
        } catch (IOException e) {
            throw new IllegalStateException("its files cannot be read: " + e.getMessage(), e);
        }
        long needed = MemoryHeadroom.needed(bytes);
        OptionalLong available = availableMemory.get();
        if (available.isPresent() && needed > available.getAsLong()) {
            throw new IllegalStateException(String.format(Locale.ROOT, "it needs about %d MB to load and only %d MB "
                    + "are available: give the service more memory, or unload a model first",
                    needed >> 20, available.getAsLong() >> 20));
        }
    }

    private Optional<ServedVersion> retire(Key key, Entry entry, String why) {
        String name = entry.servedName;
        if (name == null) {
            return Optional.empty();
        }
        Optional<ServedVersion> retired = registry.retire(name, key.version());
        entry.state = VersionState.UNLOADING;
        entry.reason = why;
        retired.ifPresentOrElse(v -> v.closed().whenComplete((ok, error) -> {
            if (entry.state == VersionState.UNLOADING) {
                entry.state = VersionState.UNAVAILABLE;
            }
        }), () -> entry.state = VersionState.UNAVAILABLE);
        unloads(key.folder()).increment();
        log.info("Model {} version {} stops serving: {}", key.folder(), key.version(), why);
        return retired;
    }

    private List<ServedVersion> servedOf(String folder) {
        List<ServedVersion> served = new ArrayList<>();
        entries.forEach((key, entry) -> {
            if (key.folder().equals(folder) && entry.state == VersionState.READY && entry.servedName != null) {
                registry.versions(entry.servedName).stream().filter(v -> v.version() == key.version())
                        .forEach(served::add);
            }
        });
        return served;
    }

    private List<ModelFolders.Version> onDisk() {
        if (modelDir == null) {
            return List.of();
        }
        try {
            return ModelFolders.versions(modelDir);
        } catch (RuntimeException e) {
            log.warn("{}", e.getMessage());
            return List.of();
        }
    }

    /** {@code name} as a folder directly under the model folder, never a path or a URL. */
    private Path folder(String name) {
        folderName(name);
        if (modelDir == null) {
            throw new RepositoryException(RepositoryException.Kind.NOT_FOUND,
                    "resnet.model-dir is not set: the service answers with its embedded model only");
        }
        Path folder = modelDir.resolve(name).normalize();
        if (!modelDir.equals(folder.getParent()) || !Files.isDirectory(folder)) {
            throw new RepositoryException(RepositoryException.Kind.NOT_FOUND, "no model folder \"" + name + "\"");
        }
        try {
            if (!folder.toRealPath().startsWith(modelDir.toRealPath())) {
                throw new RepositoryException(RepositoryException.Kind.BAD_NAME,
                        "\"" + name + "\" leads outside the model folder");
            }
        } catch (IOException e) {
            throw new RepositoryException(RepositoryException.Kind.NOT_FOUND, "no model folder \"" + name + "\"");
        }
        return folder;
    }

    private static void folderName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new RepositoryException(RepositoryException.Kind.BAD_NAME, "a model is named by its folder directly "
                    + "under the model folder: letters, digits, '.', '_' and '-', not starting with '.' or '-'");
        }
    }

    private <T> T call(Callable<T> task) {
        try {
            return worker.submit(task).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the repository worked", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private String digest(ModelFolders.Version version) {
        if (version.path() == null) {
            return null;
        }
        try {
            return ContentFingerprint.digest(version.path(), version.flat());
        } catch (IOException e) {
            return null;
        }
    }

    private Entry entry(Key key) {
        return entries.computeIfAbsent(key, k -> new Entry());
    }

    private static Key key(ModelFolders.Version version) {
        return new Key(version.model(), version.version());
    }

    private static VersionStatus status(String name, long version, Entry entry) {
        VersionState state = entry.state;
        return new VersionStatus(name, Long.toString(version), state, state == VersionState.READY ? null : entry.reason);
    }

    private Counter loads(String folder, String outcome) {
        return Counter.builder("model.repository.loads").description("Model version loads by the repository")
                .tag("model", folder).tag("outcome", outcome).register(meters);
    }

    private Counter unloads(String folder) {
        return Counter.builder("model.repository.unloads").description("Model versions that stopped serving")
                .tag("model", folder).register(meters);
    }

    private Timer loadTime(String folder) {
        return Timer.builder("model.repository.load").description("Time to load and warm a model version")
                .tag("model", folder).register(meters);
    }

    /** One gauge per model folder and state: how many of its versions are in it. */
    private void meter(String folder) {
        if (!metered.add(folder)) {
            return;
        }
        for (VersionState state : VersionState.values()) {
            Gauge.builder("model.versions", this, r -> r.count(folder, state))
                    .description("Model versions known to the repository, by state")
                    .tag("model", folder).tag("state", state.name()).register(meters);
        }
        loads(folder, "success");
        loads(folder, "failure");
        unloads(folder);
    }

    private double count(String folder, VersionState state) {
        return entries.entrySet().stream()
                .filter(e -> e.getKey().folder().equals(folder) && e.getValue().state == state).count();
    }

    @Override
    public void destroy() {
        worker.shutdown();
        try {
            worker.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
