package io.resnetservice.serving;

import io.resnetservice.runtime.LoadedModel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One loaded version of a model with its own batching queue, so no forward pass mixes versions. Requests
 * hold it through a {@link Lease} from lookup to answer; the registry holds it while it serves. Retired
 * (swapped out or unloaded), it closes once the last request that held it has its answer: queued work and
 * passes in flight finish on it, and its native memory is released after that.
 */
public final class ServedVersion {

    private final LoadedModel model;
    private final long version;
    private final BatchingExecutor executor;
    private final Executor closer;
    /** The registry's hold (1) plus one per request; 0: closed or closing, never acquired again. */
    private final AtomicInteger holds = new AtomicInteger(1);
    private final AtomicBoolean retired = new AtomicBoolean();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();

    private final Runnable afterClose;

    ServedVersion(LoadedModel model, long version, BatchingExecutor executor, Executor closer, Runnable afterClose) {
        this.afterClose = afterClose;
        this.model = model;
        this.version = version;
        this.executor = executor;
        this.closer = closer;
    }

    public LoadedModel model() {
        return model;
    }

    public long version() {
        return version;
    }

    BatchingExecutor executor() {
        return executor;
    }

    /** A hold for one request, or null where this version is retired and already closing. */
    Lease tryAcquire() {
        while (true) {
            int h = holds.get();
            if (h == 0) {
                return null;
            }
            if (holds.compareAndSet(h, h + 1)) {
                return new Lease(this);
            }
        }
    }

    /** Drops the registry's hold: closes now if no request holds it, else when the last one is answered. */
    void retire() {
        if (retired.compareAndSet(false, true)) {
            release();
        }
    }

    /** Completes once the executor is drained and the model's native memory released. */
    public CompletableFuture<Void> closed() {
        return closed;
    }

    private void release() {
        if (holds.decrementAndGet() == 0) {
            closer.execute(this::closeNow);
        }
    }

    private void closeNow() {
        try {
            executor.close();
            afterClose.run();
            model.close();
            closed.complete(null);
        } catch (RuntimeException | Error e) {
            closed.completeExceptionally(e);
            throw e;
        }
    }

    /** A request's hold on a version: it stays open (and computes) until this is closed. */
    public static final class Lease implements AutoCloseable {
        private final ServedVersion served;
        private final AtomicBoolean open = new AtomicBoolean(true);

        private Lease(ServedVersion served) {
            this.served = served;
        }

        public LoadedModel model() {
            return served.model;
        }

        /** The version as answers name it: {@code "1"}, {@code "2"}, ... */
        public String version() {
            return Long.toString(served.version);
        }

        @Override
        public void close() {
            if (open.compareAndSet(true, false)) {
                served.release();
            }
        }
    }
}
