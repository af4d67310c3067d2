package io.resnetservice.serving;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.runtime.NativeEngine;
import io.resnetservice.runtime.Outputs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns concurrent requests for one model into few forward passes. Request threads enqueue their
 * preprocessed tensors in a bounded queue; worker threads take the oldest request, gather more until
 * the batch is full or {@code max-delay} has passed, run one forward pass and hand each request its
 * rows. A worker waits for company only while another request is on its way ({@link
 * ServiceLoad#companyOnTheWay}): a request that is alone in the service runs at once. A full queue refuses at once; a request whose deadline passes while queued is never computed.
 * With batching off, the calling thread runs the forward pass itself.
 *
 * <p>A pass that is the only work in flight (no other pass running, in this executor or another
 * sharing its load, and nothing queued) runs on {@code aloneThreads} intra-op threads, every core by
 * default, so one request at a time is answered as fast as the machine allows; otherwise on
 * {@code loadedThreads}, one per worker by default, which keeps the throughput of one single-threaded
 * pass per core under load.
 */
public final class BatchingExecutor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BatchingExecutor.class);

    /** Why a request was not computed: the queue was full, its deadline passed, or we are stopping. */
    public static final class OverloadedException extends RuntimeException {
        private final Duration retryAfter;
        private final boolean stopping;

        OverloadedException(String message, Duration retryAfter) {
            this(message, retryAfter, false);
        }

        private OverloadedException(String message, Duration retryAfter, boolean stopping) {
            super(message);
            this.retryAfter = retryAfter;
            this.stopping = stopping;
        }

        public Duration retryAfter() {
            return retryAfter;
        }

        /** The service is shutting down (rather than busy): another replica should be asked. */
        public boolean stopping() {
            return stopping;
        }
    }

    private static final class Job {
        final float[] input;
        final int images;
        final long enqueuedNanos = System.nanoTime();
        final long deadlineNanos;
        final CompletableFuture<Outputs> result = new CompletableFuture<>();
        /** The submitting request's span, and the span of its wait in the queue; null when untraced. */
        final TraceContext request;
        final Span queued;

        Job(float[] input, int images, long deadlineNanos, TraceContext request, Span queued) {
            this.input = input;
            this.images = images;
            this.deadlineNanos = deadlineNanos;
            this.request = request;
            this.queued = queued;
        }

        void dequeued(String outcome) {
            if (queued != null) {
                queued.tag("outcome", outcome).end();
            }
        }
    }

    private final LoadedModel model;
    private final ResnetProperties.Batching settings;
    private final BlockingQueue<Job> queue;
    private final List<Thread> workers = new ArrayList<>();
    private final Timer queueWait;
    private final Timer forwardTimer;
    private final DistributionSummary batchSizes;
    private final DistributionSummary passThreads;
    private final int aloneThreads;
    private final int loadedThreads;
    private final ServiceLoad load;
    private final StageSpans spans;
    private volatile boolean accepting = true;
    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    private final boolean removeMetersOnClose;

    /** An untraced executor whose passes always run on the engine's configured threads. */
    public BatchingExecutor(LoadedModel model, ResnetProperties.Batching settings, MeterRegistry registry) {
        this(model, settings, registry, 0, 0, new ServiceLoad(), StageSpans.OFF);
    }

    /**
     * @param aloneThreads intra-op threads for a pass that is the only work in flight; 0: leave the
     *     worker's threads as the engine set them
     * @param loadedThreads intra-op threads for every other pass; 0: as the engine set them
     * @param load what is in flight in the service (requests, passes), shared by its executors
     * @param spans the queue-wait and forward-pass spans of traced requests
     */
    public BatchingExecutor(LoadedModel model, ResnetProperties.Batching settings, MeterRegistry registry,
            int aloneThreads, int loadedThreads, ServiceLoad load, StageSpans spans) {
        this(model, null, settings, registry, aloneThreads, loadedThreads, load, spans);
    }

    /**
     * @param version the model version this executor computes, a tag of its meters (which {@link #close()}
     *     removes, so a swapped-out version leaves no stale gauge); null: no version tag
     */
    public BatchingExecutor(LoadedModel model, String version, ResnetProperties.Batching settings,
            MeterRegistry registry, int aloneThreads, int loadedThreads, ServiceLoad load, StageSpans spans) {
        this.model = model;
        this.registry = registry;
        this.removeMetersOnClose = version != null;
        this.spans = spans;
        this.settings = settings;
        this.aloneThreads = aloneThreads;
        this.loadedThreads = loadedThreads;
        this.load = load;
        this.queue = new ArrayBlockingQueue<>(settings.queueCapacity());
        String name = model.name();
        Tags tags = version == null ? Tags.of("model", name) : Tags.of("model", name, "version", version);
        this.queueWait = Timer.builder("inference.queue").description("Time a request waited for a forward pass")
                .tags(tags).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
        this.forwardTimer = Timer.builder("inference.forward").description("One forward pass (a batch of images)")
                .tags(tags).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
        this.batchSizes = DistributionSummary.builder("inference.batch.size").description("Images per forward pass")
                .baseUnit("images").tags(tags).publishPercentileHistogram()
                .minimumExpectedValue(1.0).maximumExpectedValue((double) Math.max(2, settings.maxBatchSize() * 4))
                .register(registry);
        this.passThreads = DistributionSummary.builder("inference.forward.threads")
                .description("Intra-op threads of each batched forward pass").baseUnit("threads").tags(tags)
                .register(registry);
        meters.add(queueWait);
        meters.add(forwardTimer);
        meters.add(batchSizes);
        meters.add(passThreads);
        meters.add(Gauge.builder("inference.queue.depth", queue, BlockingQueue::size)
                .description("Requests waiting for a forward pass").tags(tags).register(registry));
        meters.add(Gauge.builder("inference.queue.capacity", settings, ResnetProperties.Batching::queueCapacity)
                .description("Requests that may wait at most; more are answered 503").tags(tags)
                .register(registry));
        if (settings.enabled()) {
            for (int i = 0; i < settings.workers(); i++) {
                Thread worker = new Thread(this::work, "batcher-" + name + "-" + i);
                worker.setDaemon(true);
                worker.start();
                workers.add(worker);
            }
        }
    }

    /** The model's outputs for {@code images} preprocessed images; blocks until they are computed. */
    public Outputs submit(float[] input, int images) {
        if (!accepting) {
            throw new OverloadedException("the service is shutting down", Duration.ofSeconds(1), true);
        }
        if (!settings.enabled()) {
            return spans.inChild(FORWARD_SPAN, () -> timedForward(List.of(input), images));
        }
        long timeout = settings.requestTimeout().toNanos();
        Job job = new Job(input, images, System.nanoTime() + timeout, spans.current(), spans.startChild(QUEUE_SPAN));
        if (!queue.offer(job)) {
            job.dequeued("refused");
            throw new OverloadedException("the inference queue is full (" + settings.queueCapacity() + " requests)",
                    retryAfter());
        }
        try {
            return job.result.get(timeout, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            if (queue.remove(job)) {
                job.dequeued("timed_out");
                throw new OverloadedException("the request waited " + settings.requestTimeout().toMillis()
                        + " ms for the model", retryAfter());
            }
            // A worker holds it: the batch is running, so its answer is moments away.
            return join(job);
        } catch (InterruptedException e) {
            if (queue.remove(job)) {
                job.dequeued("interrupted");
            }
            Thread.currentThread().interrupt();
            throw new OverloadedException("interrupted while waiting for the model", retryAfter());
        } catch (ExecutionException e) {
            throw unwrap(e);
        }
    }

    private static Outputs join(Job job) {
        try {
            return job.result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OverloadedException("interrupted while waiting for the model", Duration.ofSeconds(1));
        } catch (ExecutionException e) {
            throw unwrap(e);
        }
    }

    private static RuntimeException unwrap(ExecutionException e) {
        return e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    }

    static final String QUEUE_SPAN = "inference.queue";
    static final String FORWARD_SPAN = "inference.forward";

    private Duration retryAfter() {
        return Duration.ofSeconds(1);
    }

    private Outputs timedForward(List<float[]> inputs, int images) {
        long start = System.nanoTime();
        try {
            return model.outputs(inputs, images);
        } finally {
            forwardTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            batchSizes.record(images);
        }
    }

    /**
     * The intra-op threads for a pass about to start: {@code alone} when no other pass runs and no
     * request waits, else {@code loaded}.
     */
    static int threadsFor(int otherPasses, int queued, int alone, int loaded) {
        return otherPasses == 0 && queued == 0 ? alone : loaded;
    }

    private void work() {
        List<Job> batch = new ArrayList<>();
        int[] threads = {0};
        while (true) {
            try {
                Job first = accepting ? queue.poll(100, TimeUnit.MILLISECONDS) : queue.poll();
                if (first == null) {
                    if (!accepting) {
                        return;
                    }
                    continue;
                }
                batch.clear();
                int images = admit(first, batch, 0);
                long gatherUntil = System.nanoTime() + (load.companyOnTheWay() ? settings.maxDelay().toNanos() : 0);
                while (images < settings.maxBatchSize()) {
                    long wait = gatherUntil - System.nanoTime();
                    Job next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) {
                        break;
                    }
                    if (images + next.images > settings.maxBatchSize() && images > 0) {
                        run(batch, images, threads);
                        batch.clear();
                        images = 0;
                    }
                    images = admit(next, batch, images);
                }
                if (images > 0) {
                    run(batch, images, threads);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Adds a job unless its deadline passed while it waited; returns the images now in the batch. */
    private int admit(Job job, List<Job> batch, int images) {
        long now = System.nanoTime();
        try (Tracer.SpanInScope scope = spans.scope(job.queued)) {
            queueWait.record(now - job.enqueuedNanos, TimeUnit.NANOSECONDS);
        }
        if (now > job.deadlineNanos) {
            job.dequeued("timed_out");
            job.result.completeExceptionally(new OverloadedException("the request waited "
                    + settings.requestTimeout().toMillis() + " ms for the model", retryAfter()));
            return images;
        }
        job.dequeued("taken");
        batch.add(job);
        return images + job.images;
    }

    /**
     * Runs one batch on this worker and answers each of its requests, with its rows or with the pass's
     * failure; {@code threads[0]} is the worker's current intra-op setting.
     */
    private void run(List<Job> batch, int images, int[] threads) {
        List<float[]> inputs = new ArrayList<>(batch.size());
        List<TraceContext> requests = new ArrayList<>(batch.size());
        for (Job job : batch) {
            inputs.add(job.input);
            requests.add(job.request);
        }
        Outputs rows = null;
        RuntimeException failure = null;
        Span span = spans.startShared(FORWARD_SPAN, requests);
        try (Tracer.SpanInScope scope = spans.scope(span)) {
            if (span != null) {
                span.tag("model", model.name()).tag("batch.images", images).tag("batch.requests", batch.size());
            }
            rows = forwardCounted(batch, inputs, images, threads);
            if (span != null) {
                span.tag("threads", threads[0]);
            }
        } catch (RuntimeException e) {
            failure = e;
            log.error("Forward pass of {} images failed", images, e);
            if (span != null) {
                span.error(e);
            }
        } finally {
            if (span != null) {
                span.end();
            }
        }
        if (failure != null) {
            RuntimeException e = failure;
            batch.forEach(j -> j.result.completeExceptionally(e));
            return;
        }
        int row = 0;
        for (Job job : batch) {
            job.result.complete(rows.rows(row, job.images));
            row += job.images;
        }
    }

    /** One pass, counted as running until its rows exist, on the threads {@link #threadsFor} picks. */
    private Outputs forwardCounted(List<Job> batch, List<float[]> inputs, int images, int[] threads) {
        int requests = batch.size();
        int others = load.passStarted(requests);
        try {
            int wanted = threadsFor(others, queue.size(), aloneThreads, loadedThreads);
            if (wanted > 0 && wanted != threads[0]) {
                NativeEngine.setThreadsOfThisThread(wanted);
                threads[0] = wanted;
            }
            if (threads[0] > 0) {
                passThreads.record(threads[0]);
            }
            return timedForward(inputs, images);
        } finally {
            load.passEnded(requests);
        }
    }

    /** Stops taking requests, lets the workers finish everything already queued, then returns. */
    @Override
    public void close() {
        accepting = false;
        for (Thread worker : workers) {
            try {
                worker.join(settings.requestTimeout().toMillis() + 5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Job left;
        while ((left = queue.poll()) != null) {
            left.dequeued("stopped");
            left.result.completeExceptionally(new OverloadedException("the service stopped", Duration.ofSeconds(1)));
        }
        if (removeMetersOnClose) {
            meters.forEach(registry::remove);
        }
    }

    public int queueDepth() {
        return queue.size();
    }
}
