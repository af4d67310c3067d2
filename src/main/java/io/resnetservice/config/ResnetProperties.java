package io.resnetservice.config;

import io.resnetservice.runtime.Execution;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Every knob of the service, under {@code resnet.*}. Defaults and their reasons are documented in
 * {@code application.yaml}.
 *
 * @param device {@code auto} (GPU when the engine sees one), {@code cpu}, {@code gpu} or {@code gpu:N}
 * @param modelDir a folder of model folders; empty means the model embedded in the application
 * @param defaultModel the model behind {@code /api/v1/classify}; may be empty when only one is loaded
 * @param execution how forward passes run; the defaults are in {@code application.yaml}
 * @param modelPollInterval how often the model repository looks at {@code modelDir} for new, changed and
 *     removed model versions, and loads, reloads and unloads them; 0 (the default): never
 * @param modelVersionPolicy which versions of each model are served: {@code latest}, {@code latest:N},
 *     {@code all} or {@code specific:V1,V2}
 */
@Validated
@ConfigurationProperties("resnet")
public record ResnetProperties(
        @DefaultValue("auto") @Pattern(regexp = "auto|cpu|gpu(:\\d+)?", message = "must be auto, cpu, gpu or gpu:N")
                String device,
        Path modelDir,
        String defaultModel,
        @DefaultValue("0s") @NotNull Duration modelPollInterval,
        @DefaultValue("latest") @Pattern(regexp = "(?i)\\s*(latest(:\\s*[1-9][0-9]*)?|all|specific:\\s*[1-9][0-9]*(\\s*,\\s*[1-9][0-9]*)*)\\s*",
                message = "must be latest, latest:N, all or specific:V1,V2") String modelVersionPolicy,
        @DefaultValue @Valid @NotNull Limits limits,
        @DefaultValue @Valid @NotNull Batching batching,
        @DefaultValue @Valid @NotNull Threads threads,
        @DefaultValue @Valid @NotNull Execution execution,
        @DefaultValue @Valid @NotNull Security security,
        @DefaultValue @Valid @NotNull Shutdown shutdown,
        @DefaultValue @Valid @NotNull Explain explain) {

    /**
     * @param grid cells of an explanation's heatmap along the picture's longer side unless a request
     *     asks for another number (the shorter side gets cells of the same size); each costs one forward pass
     * @param maxGrid the most cells along the longer side a request may ask for
     */
    public record Explain(@DefaultValue("8") @jakarta.validation.constraints.Min(1) int grid,
            @DefaultValue("16") @jakarta.validation.constraints.Min(1) int maxGrid) {}

    /**
     * @param maxImageBytes largest single image accepted
     * @param maxRequestBytes largest request body accepted
     * @param maxPixels largest width x height decoded; checked from the image header before any pixel
     *     memory is allocated
     * @param maxImagesPerRequest most images in one request
     * @param imageMemory memory that images being decoded and preprocessed may hold at once, estimated
     *     from each image's header before it is decoded; 0: 40 % of the maximum heap (the rest holds the
     *     uploaded bytes, the web server and the application)
     * @param imageMemoryWait how long an image waits for its share of {@code imageMemory} (and a request
     *     for its share of {@code uploadMemory}) before the request is answered 503
     * @param uploadMemory memory that request bodies being received may hold at once, reserved from each
     *     request's declared length (or the largest legal body, when it declares none) before any byte
     *     is read; 0: 20 % of the maximum heap
     * @param bufferPool how many bytes of idle large arrays (decoded samples, resampling planes, input
     *     tensors) are kept for the next request instead of being allocated anew; 0: none are kept
     */
    public record Limits(
            @DefaultValue("10MB") @NotNull DataSize maxImageBytes,
            @DefaultValue("50MB") @NotNull DataSize maxRequestBytes,
            @DefaultValue("40000000") @Min(1) long maxPixels,
            @DefaultValue("32") @Min(1) int maxImagesPerRequest,
            @DefaultValue("0") @NotNull DataSize imageMemory,
            @DefaultValue("5s") @NotNull Duration imageMemoryWait,
            @DefaultValue("0") @NotNull DataSize uploadMemory,
            @DefaultValue("64MB") @NotNull DataSize bufferPool) {

        /** {@code imageMemory} in bytes, 0 resolved to 40 % of the maximum heap. */
        public long imageMemoryBytes() {
            return imageMemory.toBytes() > 0 ? imageMemory.toBytes() : Runtime.getRuntime().maxMemory() / 5 * 2;
        }

        /** {@code uploadMemory} in bytes, 0 resolved to 20 % of the maximum heap. */
        public long uploadMemoryBytes() {
            return uploadMemory.toBytes() > 0 ? uploadMemory.toBytes() : Runtime.getRuntime().maxMemory() / 5;
        }
    }

    /**
     * The dynamic batcher between request threads and the model.
     *
     * @param enabled off: each request runs its own forward pass on its own thread
     * @param maxBatchSize most images in one forward pass
     * @param maxDelay how long a worker waits for more requests once it holds one, while another request
     *     is on its way (arrived, not yet in a pass); a request alone in the service runs at once
     * @param queueCapacity requests waiting at most; more are answered 503 at once
     * @param requestTimeout a request still queued after this is answered 503 and never computed
     * @param workers forward passes that may run at once, each on its own thread; 0: the CPUs the JVM
     *     sees divided by the intra-op threads of each pass
     */
    public record Batching(
            @DefaultValue("true") boolean enabled,
            @DefaultValue("4") @Min(1) int maxBatchSize,
            @DefaultValue("5ms") @NotNull Duration maxDelay,
            @DefaultValue("64") @Min(1) int queueCapacity,
            @DefaultValue("10s") @NotNull Duration requestTimeout,
            @DefaultValue("0") @Min(0) int workers) {

        /** The same settings with {@code workers} resolved for {@code intraOpThreads} per forward pass. */
        public Batching resolved(int intraOpThreads) {
            int resolved = workers > 0 ? workers
                    : Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, intraOpThreads));
            return new Batching(enabled, maxBatchSize, maxDelay, queueCapacity, requestTimeout, resolved);
        }
    }

    /**
     * @param drainNotice after SIGTERM, how long readiness answers 503 while requests are still accepted,
     *     before the web server stops taking connections and drains what it accepted; load balancers that
     *     poll readiness stop sending meanwhile
     */
    public record Shutdown(@DefaultValue("2s") @NotNull Duration drainNotice) {}

    /**
     * @param apiKeys keys accepted on the inference endpoints; empty turns the check off
     * @param adminKeys keys accepted on the model repository's endpoints (load, unload, index), and only
     *     there; empty (the default): those endpoints do not exist
     */
    public record Security(@DefaultValue({}) List<String> apiKeys, @DefaultValue({}) List<String> adminKeys) {

        /** The admin keys that are not blank. */
        public List<String> effectiveAdminKeys() {
            return adminKeys.stream().filter(k -> !k.isBlank()).toList();
        }
    }

    /**
     * libtorch's thread pools. Intra-op 0: one thread per CPU the JVM sees (a container's limit); inter-op
     * 0: the engine's default. The OpenMP wait policy is an environment variable read when the process
     * starts: set {@code OMP_WAIT_POLICY=PASSIVE}.
     *
     * @param intraOp threads per forward pass while other passes run or requests wait
     * @param intraOpAlone threads for a forward pass that is the only work in flight (no other pass
     *     running, nothing queued), so a lone request uses every core; 0: the CPUs the JVM sees. Set it
     *     to {@code intraOp} to pin every pass to that many threads
     * @param interOp libtorch's inter-op threads
     */
    public record Threads(
            @DefaultValue("1") @Min(0) int intraOp,
            @DefaultValue("0") @Min(0) int intraOpAlone,
            @DefaultValue("0") @Min(0) int interOp) {

        /** Intra-op threads per forward pass under load, 0 resolved to the CPUs the JVM sees. */
        public int intraOpThreads() {
            return intraOp > 0 ? intraOp : Runtime.getRuntime().availableProcessors();
        }

        /** Intra-op threads for a pass that runs alone, 0 resolved to the CPUs the JVM sees. */
        public int intraOpAloneThreads() {
            return intraOpAlone > 0 ? intraOpAlone : Runtime.getRuntime().availableProcessors();
        }
    }
}
