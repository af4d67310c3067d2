package io.resnetservice.runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Native memory for input batches, reused from one forward pass to the next.
 *
 * <p>Why: on the CPU, DJL gives libtorch a Java direct buffer as the input tensor's storage (no copy)
 * and leaves freeing it to the garbage collector. The Java heap barely moves while the service runs, so
 * collections are rare and every pass left its input batch behind in native memory: resident memory grew
 * by 24 MB/s under a ResNet-18 benchmark at batch 8 (4.8 MB per pass, until a collection), and each pass
 * page-faulted its input into fresh pages. A pass borrows a buffer here and gives it back once the
 * tensor that reads it is closed.
 */
final class InputBuffers {

    private final BlockingQueue<ByteBuffer> idle;
    /** The largest buffer handed out so far: new buffers get at least this, so smaller ones die out. */
    private final AtomicInteger largest = new AtomicInteger();

    /** Keeps at most {@code kept} idle buffers; more passes at once allocate, and the surplus is dropped. */
    InputBuffers(int kept) {
        this.idle = new ArrayBlockingQueue<>(kept);
    }

    /** A native-order buffer whose limit is {@code bytes}, positioned at 0. */
    ByteBuffer borrow(int bytes) {
        ByteBuffer buffer = idle.poll();
        if (buffer == null || buffer.capacity() < bytes) {
            int capacity = largest.accumulateAndGet(bytes, Math::max);
            buffer = ByteBuffer.allocateDirect(capacity).order(ByteOrder.nativeOrder());
        }
        buffer.clear().limit(bytes);
        return buffer;
    }

    /** Only after every tensor made from {@code buffer} is closed: the next pass writes into it. */
    void giveBack(ByteBuffer buffer) {
        idle.offer(buffer);
    }

    int idleCount() {
        return idle.size();
    }
}
