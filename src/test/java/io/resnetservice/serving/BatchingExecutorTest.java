package io.resnetservice.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.runtime.Outputs;
import io.resnetservice.support.RandomTensors;
import io.resnetservice.support.TestModels;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BatchingExecutorTest {

    static LoadedModel model;

    @BeforeAll
    static void load() {
        var dir = TestModels.repositoryWithRandomFashionModel().resolve(TestModels.NAME);
        model = LoadedModel.load(ModelFolder.open(ModelFolder.ModelSource.directory(dir)), Device.cpu());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static float[] image(long seed, int images) {
        return RandomTensors.gaussian(images * 784, seed);
    }

    static ResnetProperties.Batching settings(int maxBatch, Duration delay, int capacity, Duration timeout) {
        return new ResnetProperties.Batching(true, maxBatch, delay, capacity, timeout, 1);
    }

    @Test
    void aPassUsesEveryCoreOnlyWhenNothingElseIsInFlight() {
        assertEquals(4, BatchingExecutor.threadsFor(0, 0, 4, 1));
        assertEquals(1, BatchingExecutor.threadsFor(1, 0, 4, 1), "another pass runs");
        assertEquals(1, BatchingExecutor.threadsFor(0, 3, 4, 1), "requests wait");
        assertEquals(1, BatchingExecutor.threadsFor(2, 5, 4, 1));
    }

    @Test
    void aLoneRequestRunsOnTheAloneThreadsAndOneBesideAnotherPassOnTheLoadedThreads() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ServiceLoad load = new ServiceLoad();
        float[] input = image(3, 1);
        float[][] expected = model.forward(input, 1);
        try (BatchingExecutor executor = new BatchingExecutor(model, settings(8, Duration.ZERO, 64,
                Duration.ofSeconds(30)), registry, 2, 1, load, StageSpans.OFF)) {
            DistributionSummary threads = registry.get("inference.forward.threads").summary();
            assertArrayEquals(expected[0], executor.submit(input, 1).probabilities()[0], 1e-4f);
            assertEquals(1, threads.count());
            assertEquals(2.0, threads.totalAmount(), "alone: every core");
            load.passStarted(1); // a pass of another model's executor, sharing the load
            assertArrayEquals(expected[0], executor.submit(input, 1).probabilities()[0], 1e-4f);
            assertEquals(3.0, threads.totalAmount(), "beside another pass: one thread");
            load.passEnded(1);
            executor.submit(input, 1);
            assertEquals(5.0, threads.totalAmount(), "alone again");
            assertEquals(0, load.runningPasses(), "every pass left the count as it found it");
        }
    }

    /** With one worker, and with two as the service runs on two cores by default. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void concurrentRequestsGetTheirOwnRowsBack(int workers) throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        int requests = 40;
        float[][] inputs = new float[requests][];
        float[][][] expected = new float[requests][][];
        for (int i = 0; i < requests; i++) {
            int images = 1 + i % 3;
            inputs[i] = image(i, images);
            expected[i] = model.forward(inputs[i], images);
        }
        try (BatchingExecutor executor = new BatchingExecutor(model, new ResnetProperties.Batching(true, 8,
                Duration.ofMillis(20), 64, Duration.ofSeconds(30), workers), registry)) {
            ExecutorService clients = Executors.newFixedThreadPool(16);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<float[][]>> answers = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                int k = i;
                answers.add(clients.submit(() -> {
                    start.await();
                    return executor.submit(inputs[k], 1 + k % 3).probabilities();
                }));
            }
            start.countDown();
            for (int i = 0; i < requests; i++) {
                float[][] got = answers.get(i).get();
                assertEquals(expected[i].length, got.length);
                for (int row = 0; row < got.length; row++) {
                    assertArrayEquals(expected[i][row], got[row], 1e-5f, "request " + i + " row " + row);
                }
            }
            clients.shutdown();
        }
        var sizes = registry.get("inference.batch.size").summary();
        assertTrue(sizes.count() < requests, "batched: " + sizes.count() + " forward passes for " + requests);
        assertTrue(sizes.max() > 1);
        assertTrue(sizes.max() <= 8, "never over max-batch-size: " + sizes.max());
    }

    @Test
    void aFullQueueRefusesAtOnceAndATimedOutRequestIsNeverComputed() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // Batches of one with a slow forward keep the worker busy: 1 running, 2 queued, the rest refused.
        try (BatchingExecutor executor = new BatchingExecutor(model, settings(1, Duration.ZERO, 2,
                Duration.ofMillis(400)), registry)) {
            ExecutorService clients = Executors.newFixedThreadPool(12);
            List<Future<Object>> answers = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                int k = i;
                answers.add(clients.submit(() -> {
                    try {
                        return executor.submit(image(k, 32), 32);
                    } catch (BatchingExecutor.OverloadedException e) {
                        return e;
                    }
                }));
            }
            int ok = 0;
            int refused = 0;
            for (Future<Object> f : answers) {
                Object r = f.get();
                if (r instanceof Outputs) {
                    ok++;
                } else {
                    refused++;
                    assertTrue(((BatchingExecutor.OverloadedException) r).retryAfter().toSeconds() >= 1);
                }
            }
            clients.shutdown();
            assertTrue(ok >= 1, "some requests are served");
            assertTrue(refused >= 6, "a queue of 2 refuses most of 12 simultaneous requests: " + refused);
            long computed = (long) registry.get("inference.batch.size").summary().count();
            assertEquals(ok, computed, "refused and timed-out requests are never computed");
        }
    }

    @Test
    void aRequestThatOutwaitsItsTimeoutIsAnsweredAndNeverComputed() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // No worker: a queued request waits until its deadline, however slow or fast the machine.
        var noWorker = new ResnetProperties.Batching(true, 8, Duration.ZERO, 4, Duration.ofMillis(200), 0);
        try (BatchingExecutor executor = new BatchingExecutor(model, noWorker, registry)) {
            long start = System.nanoTime();
            BatchingExecutor.OverloadedException e = assertThrows(BatchingExecutor.OverloadedException.class,
                    () -> executor.submit(image(1, 1), 1));
            assertEquals("the request waited 200 ms for the model", e.getMessage(), "a timeout, not a refusal");
            assertTrue(System.nanoTime() - start >= Duration.ofMillis(200).toNanos(), "it waited its timeout");
            assertTrue(e.retryAfter().toSeconds() >= 1);
            assertEquals(0, executor.queueDepth(), "it left the queue");
            assertEquals(0, registry.get("inference.batch.size").summary().count(), "never computed");
        }
    }

    @Test
    void shutdownFinishesWhatIsQueued() throws Exception {
        // One image batch of 32 per forward pass keeps requests waiting in the queue.
        BatchingExecutor executor = new BatchingExecutor(model, settings(1, Duration.ZERO, 64,
                Duration.ofSeconds(30)), new SimpleMeterRegistry());
        ExecutorService clients = Executors.newFixedThreadPool(10);
        List<Future<Object>> answers = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            int k = i;
            answers.add(clients.submit(() -> {
                try {
                    return executor.submit(image(k, 32), 32);
                } catch (BatchingExecutor.OverloadedException e) {
                    return e;
                }
            }));
        }
        long until = System.nanoTime() + 10_000_000_000L;
        while (executor.queueDepth() < 4 && System.nanoTime() < until) {
            Thread.sleep(1);
        }
        assertTrue(executor.queueDepth() >= 4, "requests are waiting when shutdown starts");
        executor.close();
        int served = 0;
        for (Future<Object> f : answers) {
            Object r = f.get();
            if (r instanceof Outputs outputs) {
                assertEquals(32, outputs.probabilities().length);
                served++;
            } else {
                // Only requests that arrived after shutdown began are refused; none that was queued.
                assertEquals("the service is shutting down", ((Exception) r).getMessage());
            }
        }
        assertTrue(served >= 5, "queued requests were computed: " + served);
        assertThrows(BatchingExecutor.OverloadedException.class, () -> executor.submit(image(1, 1), 1));
        clients.shutdown();
    }

    @Test
    void withBatchingOffTheCallerComputes() {
        var off = new ResnetProperties.Batching(false, 8, Duration.ZERO, 1, Duration.ofSeconds(1), 1);
        try (BatchingExecutor executor = new BatchingExecutor(model, off, new SimpleMeterRegistry())) {
            float[] x = image(5, 3);
            assertArrayEquals(model.forward(x, 3)[2], executor.submit(x, 3).probabilities()[2], 0f);
        }
    }

    /**
     * Two requests of 4 images with room for 8 make one pass of exactly 8; a request larger than the batch runs
     * alone; every pass, image and wait is counted, with durations that are real elapsed times.
     */
    @Test
    void requestsFillABatchExactlyAndEveryPassIsCounted() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ServiceLoad load = new ServiceLoad();
        try (BatchingExecutor executor = new BatchingExecutor(model, new ResnetProperties.Batching(true, 8,
                Duration.ofSeconds(2), 64, Duration.ofSeconds(30), 1), registry, 0, 0, load, StageSpans.OFF)) {
            ExecutorService clients = Executors.newFixedThreadPool(2);
            CountDownLatch arrived = new CountDownLatch(2);
            List<Future<Outputs>> answers = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                float[] input = image(100 + i, 4);
                answers.add(clients.submit(() -> {
                    try (ServiceLoad.Arrival arrival = load.arrive()) {
                        arrived.countDown();
                        arrived.await();
                        return executor.submit(input, 4);
                    }
                }));
            }
            for (Future<Outputs> answer : answers) {
                assertEquals(4, answer.get().probabilities().length);
            }
            clients.shutdown();
            var sizes = registry.get("inference.batch.size").summary();
            assertEquals(1, sizes.count(), "4 + 4 fill a batch of 8: one pass");
            assertEquals(8.0, sizes.totalAmount());
            float[][] alone = executor.submit(image(7, 9), 9).probabilities();
            assertEquals(9, alone.length, "a request over max-batch-size runs whole, alone");
            assertEquals(2, sizes.count());
            assertEquals(9.0, sizes.max());
            var forward = registry.get("inference.forward").timer();
            assertEquals(2, forward.count());
            double forwardSeconds = forward.totalTime(java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(forwardSeconds > 0 && forwardSeconds < 30, "elapsed forward time: " + forwardSeconds);
            var waits = registry.get("inference.queue").timer();
            assertEquals(3, waits.count(), "one wait per request");
            assertEquals(0, registry.get("inference.forward.threads").summary().count(),
                    "passes on the engine's own threads record no thread count");
            double waitSeconds = waits.totalTime(java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(waitSeconds >= 0 && waitSeconds < 30, "elapsed queue time: " + waitSeconds);
        }
    }

    @Test
    void aWorkerWaitsForCompanyOnlyWhileAnotherRequestIsOnItsWay() {
        ServiceLoad load = new ServiceLoad();
        assertTrue(!load.companyOnTheWay(), "nothing in flight");
        ServiceLoad.Arrival first = load.arrive();
        assertTrue(!load.companyOnTheWay(), "only the request the worker holds");
        ServiceLoad.Arrival second = load.arrive();
        assertTrue(load.companyOnTheWay(), "a second request arrived and is not in a pass");
        load.passStarted(1);
        assertTrue(!load.companyOnTheWay(), "the other request is inside a running pass");
        assertEquals(1, load.runningPasses());
        load.passEnded(1);
        assertTrue(load.companyOnTheWay());
        second.close();
        second.close();
        assertEquals(1, load.requestsInFlight(), "an arrival is counted answered once");
        first.close();
        assertEquals(0, load.requestsInFlight());
    }

    /** A max-delay of a minute: the lone request is answered only because the worker did not wait for company. */
    @Test
    void aRequestAloneInTheServiceRunsWithoutWaitingForCompany() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ServiceLoad load = new ServiceLoad();
        float[] input = image(11, 1);
        try (BatchingExecutor executor = new BatchingExecutor(model, settings(8, Duration.ofMinutes(1), 64,
                Duration.ofMinutes(5)), registry, 0, 0, load, StageSpans.OFF);
                ServiceLoad.Arrival arrival = load.arrive()) {
            float[][] rows = assertTimeoutPreemptively(Duration.ofSeconds(50), () -> executor.submit(input, 1))
                    .probabilities();
            assertArrayEquals(model.forward(input, 1)[0], rows[0], 1e-4f);
        }
    }

    /** With a second request on its way, the worker holding the first waits for it: one pass of two. */
    @Test
    void aRequestOnItsWayIsWaitedForAndJoinsTheBatch() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ServiceLoad load = new ServiceLoad();
        try (BatchingExecutor executor = new BatchingExecutor(model, settings(2, Duration.ofMinutes(1), 64,
                Duration.ofMinutes(5)), registry, 0, 0, load, StageSpans.OFF);
                ServiceLoad.Arrival first = load.arrive();
                ServiceLoad.Arrival second = load.arrive()) {
            ExecutorService client = Executors.newSingleThreadExecutor();
            Future<Outputs> a = client.submit(() -> executor.submit(image(12, 1), 1));
            var waits = registry.get("inference.queue").timer();
            while (waits.count() == 0) {
                Thread.sleep(1); // until the worker has taken the first request
            }
            Outputs b = executor.submit(image(13, 1), 1);
            assertEquals(1, a.get().probabilities().length);
            assertEquals(1, b.probabilities().length);
            var sizes = registry.get("inference.batch.size").summary();
            assertEquals(1, sizes.count(), "one pass for both");
            assertEquals(2.0, sizes.totalAmount());
            client.shutdown();
        }
    }
}
