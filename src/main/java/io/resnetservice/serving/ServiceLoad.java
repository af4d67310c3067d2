package io.resnetservice.serving;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Component;

/**
 * What is in flight in one service, shared by every model's executor: inference requests that arrived
 * and are not answered yet, how many of them are inside running forward passes, and the passes. Batch
 * workers read it to choose a pass's threads and whether holding a request back for company can pay.
 */
@Component
public final class ServiceLoad {

    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger computing = new AtomicInteger();
    private final AtomicInteger passes = new AtomicInteger();

    /** A request that was counted on arrival; closing it (once, on every path) counts it answered. */
    public final class Arrival implements AutoCloseable {
        private final AtomicBoolean open = new AtomicBoolean(true);

        @Override
        public void close() {
            if (open.compareAndSet(true, false)) {
                requests.decrementAndGet();
            }
        }
    }

    /** Counts an inference request from the moment it arrives (before its body is read) until it is answered. */
    public Arrival arrive() {
        requests.incrementAndGet();
        return new Arrival();
    }

    /**
     * Whether a request other than the one a worker has just taken is on its way to a queue: arrived
     * (its body being read, decoded or queued) and not inside a running pass. Only then can waiting
     * {@code max-delay} for company fill a batch; otherwise it only delays the request.
     */
    boolean companyOnTheWay() {
        return requests.get() - computing.get() > 1;
    }

    /** Starts counting a pass of {@code requestsInPass} requests; returns the passes that were running. */
    int passStarted(int requestsInPass) {
        computing.addAndGet(requestsInPass);
        return passes.getAndIncrement();
    }

    void passEnded(int requestsInPass) {
        passes.decrementAndGet();
        computing.addAndGet(-requestsInPass);
    }

    int runningPasses() {
        return passes.get();
    }

    /** Inference requests arrived and not yet answered. */
    public int requestsInFlight() {
        return requests.get();
    }
}
