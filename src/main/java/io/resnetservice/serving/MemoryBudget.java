package io.resnetservice.serving;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * Bytes that images being decoded and preprocessed may hold at once. A request asks for what its image
 * will take (estimated from the header, before any pixel memory exists) and waits its turn, first come
 * first served, for at most a bounded time; then it is refused with {@link BatchingExecutor.OverloadedException}
 * (503 with Retry-After) rather than risking an OutOfMemoryError. A single image larger than the whole
 * budget is admitted once nothing else holds any of it, so every legal image can be served.
 */
public final class MemoryBudget {

    /** Bytes held until closed; closing twice releases once. */
    public final class Lease implements AutoCloseable {
        private long bytes;

        private Lease(long bytes) {
            this.bytes = bytes;
        }

        @Override
        public void close() {
            synchronized (MemoryBudget.this) {
                used -= bytes;
                bytes = 0;
                MemoryBudget.this.notifyAll();
            }
        }
    }

    private final long capacity;
    private final Duration maxWait;
    private final String busy;
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();
    private long used;

    /** The budget of images being decoded. */
    public MemoryBudget(long capacity, Duration maxWait) {
        this(capacity, maxWait, "too many large images are being decoded; try again shortly");
    }

    /** @param busy the refusal's message, when the wait for a share runs out */
    public MemoryBudget(long capacity, Duration maxWait, String busy) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("a memory budget must be positive, was " + capacity);
        }
        this.capacity = capacity;
        this.maxWait = maxWait;
        this.busy = busy;
    }

    public long capacity() {
        return capacity;
    }

    public synchronized long used() {
        return used;
    }

    /** Waits in order until {@code bytes} (at most the whole budget) fit, or refuses after the maximum wait. */
    public synchronized Lease acquire(long bytes) {
        long need = Math.min(Math.max(0, bytes), capacity);
        if (waiting.isEmpty() && used + need <= capacity) {
            used += need;
            return new Lease(need);
        }
        Object ticket = new Object();
        waiting.addLast(ticket);
        long deadline = System.nanoTime() + maxWait.toNanos();
        try {
            while (waiting.peekFirst() != ticket || used + need > capacity) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new BatchingExecutor.OverloadedException(busy, Duration.ofSeconds(1));
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            used += need;
            return new Lease(need);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BatchingExecutor.OverloadedException("interrupted while waiting for memory", Duration.ofSeconds(1));
        } finally {
            waiting.remove(ticket);
            notifyAll();
        }
    }
}
