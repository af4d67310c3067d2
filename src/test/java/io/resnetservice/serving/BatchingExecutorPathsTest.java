package io.resnetservice.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.runtime.Outputs;
import io.resnetservice.support.SpanRecorder;
import io.resnetservice.support.TestModels;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The paths of a request other than "queued, computed, answered": a failing pass, interrupts while
 * queued or while its batch runs, a timeout that passes inside a running batch, shutdown with requests
 * no worker will take, the workers' own lifecycle, and the outcome every queue span ends with.
 */
class BatchingExecutorPathsTest {

    static LoadedModel model;
    final SpanRecorder recorder = new SpanRecorder();
    final Tracer tracer = recorder.tracer();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeAll
    static void load() {
        var dir = TestModels.repositoryWithRandomFashionModel().resolve(TestModels.NAME);
        model = LoadedModel.load(ModelFolder.open(ModelFolder.ModelSource.directory(dir)), Device.cpu());
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    @AfterEach
    void closeTracing() {
        recorder.close();
    }

    static ResnetProperties.Batching settings(int maxBatch, Duration delay, int capacity, Duration timeout,
            int workers) {
        return new ResnetProperties.Batching(true, maxBatch, delay, capacity, timeout, workers);
    }

    BatchingExecutor traced(ResnetProperties.Batching settings, ServiceLoad load) {
        return new BatchingExecutor(model, settings, registry, 0, 0, load, new StageSpans(tracer));
    }

    /** Runs {@code call} on its own thread inside a traced request span; the thread keeps its interrupt flag. */
    final class Client<T> {
        final CompletableFuture<T> answer = new CompletableFuture<>();
        final AtomicBoolean interruptedAfter = new AtomicBoolean();
        final Thread thread;

        Client(String name, Supplier<T> call) {
            thread = new Thread(() -> {
                T value = null;
                Throwable error = null;
                Span request = tracer.nextSpan().name(name).start();
                try (Tracer.SpanInScope scope = tracer.withSpan(request)) {
                    value = call.get();
                } catch (Throwable e) {
                    error = e;
                } finally {
                    interruptedAfter.set(Thread.currentThread().isInterrupted());
                    request.end();
                }
                if (error == null) {
                    answer.complete(value);
                } else {
                    answer.completeExceptionally(error);
                }
            }, name);
            thread.start();
        }

        /** The exception the call ended with. */
        Throwable failure() throws InterruptedException {
            ExecutionException e = assertThrows(ExecutionException.class, () -> answer.get(60, TimeUnit.SECONDS));
            thread.join();
            return e.getCause();
        }

        /** Until the thread blocks with no timeout: it waits for a batch that a worker already holds. */
        void awaitWaitingWithoutTimeout() throws InterruptedException {
            Thread.State state;
            while ((state = thread.getState()) != Thread.State.WAITING) {
                assertTrue(state != Thread.State.TERMINATED, "it ended instead: " + answer);
                Thread.sleep(1);
            }
        }
    }

    /** Until workers have taken {@code requests} requests from the queue. */
    void awaitTaken(int requests) throws InterruptedException {
        while (registry.get("inference.queue").timer().count() < requests) {
            Thread.sleep(1);
        }
    }

    static void awaitQueued(BatchingExecutor executor, int depth) throws InterruptedException {
        while (executor.queueDepth() < depth) {
            Thread.sleep(1);
        }
    }

    String outcomeOfQueueSpanOf(Client<?> client) {
        String trace = recorder.named(client.thread.getName()).getTraceId();
        SpanData queued = recorder.allNamed(BatchingExecutor.QUEUE_SPAN).stream()
                .filter(s -> s.getTraceId().equals(trace)).findFirst()
                .orElseThrow(() -> new AssertionError("no queue span in the trace of " + client.thread.getName()));
        assertTrue(queued.hasEnded());
        return queued.getAttributes().get(AttributeKey.stringKey("outcome"));
    }

    @Test
    void aFailedPassAnswersItsRequestsWithTheFailureAndTheWorkerGoesOn() throws Exception {
        try (BatchingExecutor executor = traced(settings(8, Duration.ZERO, 8, Duration.ofMinutes(1), 1),
                new ServiceLoad())) {
            // One image's values declared as two: the model refuses the batch.
            Client<Outputs> wrong = new Client<>("wrong", () -> executor.submit(new float[784], 2));
            Throwable failure = wrong.failure();
            assertInstanceOf(IllegalArgumentException.class, failure, "the pass's own exception, unwrapped");
            assertEquals("a batch of 2 needs 1568 values, not 784", failure.getMessage());
            assertEquals(StatusCode.ERROR, recorder.named(BatchingExecutor.FORWARD_SPAN).getStatus().getStatusCode());

            Client<Outputs> next = new Client<>("next", () -> executor.submit(BatchingExecutorTest.image(3, 1), 1));
            assertEquals(1, next.answer.get(60, TimeUnit.SECONDS).probabilities().length, "the worker survived");
            assertEquals("taken", outcomeOfQueueSpanOf(next));
            SpanData forward = recorder.allNamed(BatchingExecutor.FORWARD_SPAN).get(1);
            assertEquals(model.name(), forward.getAttributes().get(AttributeKey.stringKey("model")));
            assertEquals(1L, forward.getAttributes().get(AttributeKey.longKey("batch.images")));
            assertEquals(1L, forward.getAttributes().get(AttributeKey.longKey("batch.requests")));
            assertTrue(forward.getStatus().getStatusCode() != StatusCode.ERROR);
        }
    }

    @Test
    void aRequestInterruptedWhileQueuedLeavesTheQueueAndKeepsItsInterrupt() throws Exception {
        // No worker: a request stays queued until something else happens to it.
        try (BatchingExecutor executor = traced(settings(8, Duration.ZERO, 1, Duration.ofMinutes(1), 0),
                new ServiceLoad())) {
            Client<Outputs> waiting = new Client<>("waiting", () -> executor.submit(BatchingExecutorTest.image(1, 1), 1));
            awaitQueued(executor, 1);

            Client<Outputs> refused = new Client<>("refused", () -> executor.submit(BatchingExecutorTest.image(2, 1), 1));
            assertEquals("the inference queue is full (1 requests)", refused.failure().getMessage());
            assertEquals("refused", outcomeOfQueueSpanOf(refused));

            waiting.thread.interrupt();
            Throwable failure = waiting.failure();
            assertInstanceOf(BatchingExecutor.OverloadedException.class, failure);
            assertEquals("interrupted while waiting for the model", failure.getMessage());
            assertTrue(waiting.interruptedAfter.get(), "the interrupt is kept for the caller");
            assertEquals(0, executor.queueDepth(), "it left the queue");
            assertEquals("interrupted", outcomeOfQueueSpanOf(waiting));
        }
    }

    /** Batches of two gathered for up to a minute, requests that time out after 300 ms, one worker. */
    BatchingExecutor holdingForCompany(ServiceLoad load) {
        return traced(settings(2, Duration.ofMinutes(1), 8, Duration.ofMillis(300), 1), load);
    }

    /**
     * A request the worker takes and holds while it waits for company (another request is on its way),
     * returned once the request's own timeout has passed and its caller waits for the batch's answer.
     */
    Client<Outputs> heldPastItsTimeout(BatchingExecutor executor, long seed) throws InterruptedException {
        Client<Outputs> held = new Client<>("held", () -> executor.submit(BatchingExecutorTest.image(seed, 1), 1));
        awaitTaken(1);
        held.awaitWaitingWithoutTimeout();
        return held;
    }

    @Test
    void aRequestWhoseTimeoutPassesWhileAWorkerHoldsItIsStillAnswered() throws Exception {
        ServiceLoad load = new ServiceLoad();
        // Two requests on their way: the worker holding the first waits (up to a minute) for the second.
        try (BatchingExecutor executor = holdingForCompany(load);
                ServiceLoad.Arrival a = load.arrive();
                ServiceLoad.Arrival b = load.arrive()) {
            Client<Outputs> held = heldPastItsTimeout(executor, 4);

            Client<Outputs> second = new Client<>("second", () -> executor.submit(BatchingExecutorTest.image(5, 1), 1));
            float[] expected = model.forward(BatchingExecutorTest.image(4, 1), 1)[0];
            float[] answered = held.answer.get(60, TimeUnit.SECONDS).probabilities()[0];
            assertArrayEquals(expected, answered, 1e-4f);
            assertEquals(1, second.answer.get(60, TimeUnit.SECONDS).probabilities().length);
            held.thread.join();
            assertEquals("taken", outcomeOfQueueSpanOf(held), "its timeout passed after a worker took it");
            assertEquals(1, registry.get("inference.batch.size").summary().count(), "one pass for both");
        }
    }

    @Test
    void aRequestInterruptedWhileItsBatchIsHeldKeepsItsInterrupt() throws Exception {
        ServiceLoad load = new ServiceLoad();
        try (BatchingExecutor executor = holdingForCompany(load);
                ServiceLoad.Arrival a = load.arrive();
                ServiceLoad.Arrival b = load.arrive()) {
            Client<Outputs> held = heldPastItsTimeout(executor, 6);
            held.thread.interrupt();
            Throwable failure = held.failure();
            assertEquals("interrupted while waiting for the model", failure.getMessage());
            assertInstanceOf(BatchingExecutor.OverloadedException.class, failure);
            assertTrue(held.interruptedAfter.get(), "the interrupt is kept for the caller");
            // The batch still runs when its company arrives.
            assertEquals(1, executor.submit(BatchingExecutorTest.image(7, 1), 1).probabilities().length);
        }
    }

    @Test
    void closingAnswersWhatNoWorkerTookAndEndsTheirSpans() throws Exception {
        BatchingExecutor executor = traced(settings(8, Duration.ZERO, 4, Duration.ofMinutes(1), 0), new ServiceLoad());
        Client<Outputs> first = new Client<>("first", () -> executor.submit(BatchingExecutorTest.image(1, 1), 1));
        Client<Outputs> second = new Client<>("second", () -> executor.submit(BatchingExecutorTest.image(2, 1), 1));
        awaitQueued(executor, 2);
        executor.close();
        for (Client<Outputs> client : List.of(first, second)) {
            Throwable failure = client.failure();
            assertInstanceOf(BatchingExecutor.OverloadedException.class, failure);
            assertEquals("the service stopped", failure.getMessage());
            assertEquals("stopped", outcomeOfQueueSpanOf(client));
        }
        assertEquals(0, executor.queueDepth());
        var late = assertThrows(BatchingExecutor.OverloadedException.class,
                () -> executor.submit(BatchingExecutorTest.image(3, 1), 1));
        assertEquals("the service is shutting down", late.getMessage());
    }

    @Test
    void aTimedOutRequestsSpanSaysSo() throws Exception {
        try (BatchingExecutor executor = traced(settings(8, Duration.ZERO, 4, Duration.ofMillis(50), 0),
                new ServiceLoad())) {
            Client<Outputs> late = new Client<>("late", () -> executor.submit(BatchingExecutorTest.image(1, 1), 1));
            assertEquals("the request waited 50 ms for the model", late.failure().getMessage());
            assertEquals("timed_out", outcomeOfQueueSpanOf(late));
        }
    }

    static Set<Thread> workerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("batcher-" + model.name() + "-")).collect(Collectors.toSet());
    }

    @Test
    void workersAreDaemonsThatEndOnCloseOrOnInterrupt() throws Exception {
        Set<Thread> before = workerThreads();
        BatchingExecutor executor = traced(settings(8, Duration.ZERO, 4, Duration.ofMinutes(1), 2), new ServiceLoad());
        List<Thread> workers = workerThreads().stream().filter(t -> !before.contains(t)).toList();
        assertEquals(2, workers.size(), "one thread per worker: " + workers);
        assertTrue(workers.stream().allMatch(Thread::isDaemon), "workers never keep the JVM alive");

        Thread interrupted = workers.get(0);
        interrupted.interrupt();
        interrupted.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(interrupted.isAlive(), "an interrupted worker stops");

        assertEquals(1, executor.submit(BatchingExecutorTest.image(8, 1), 1).probabilities().length,
                "the other worker serves");
        executor.close();
        assertTrue(workers.stream().noneMatch(Thread::isAlive), "close returns once every worker has ended");
    }

    @Test
    void anInterruptedCloseReturnsAndKeepsTheInterrupt() throws Exception {
        ServiceLoad load = new ServiceLoad();
        // The worker holds a request, waiting for company that is on its way, so close() waits for it.
        BatchingExecutor executor = traced(settings(2, Duration.ofSeconds(3), 8, Duration.ofMinutes(1), 1), load);
        try (ServiceLoad.Arrival a = load.arrive(); ServiceLoad.Arrival b = load.arrive()) {
            Client<Outputs> held = new Client<>("held", () -> executor.submit(BatchingExecutorTest.image(9, 1), 1));
            awaitTaken(1);
            AtomicReference<Boolean> interruptKept = new AtomicReference<>();
            Thread closer = new Thread(() -> {
                executor.close();
                interruptKept.set(Thread.currentThread().isInterrupted());
            });
            closer.start();
            while (closer.getState() != Thread.State.TIMED_WAITING) {
                Thread.sleep(1); // until it waits for the worker
            }
            closer.interrupt();
            closer.join(TimeUnit.SECONDS.toMillis(30));
            assertFalse(closer.isAlive());
            assertEquals(Boolean.TRUE, interruptKept.get());
            // The held request is still answered when its gathering time ends.
            assertEquals(1, held.answer.get(60, TimeUnit.SECONDS).probabilities().length);
        }
    }
}
