package io.resnetservice.buffers;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Large arrays lent to one request at a time and kept for the next: decoded samples, resampling planes,
 * input tensors. Each of these is hundreds of kilobytes to megabytes, a humongous object in G1's smaller
 * regions (anything over half a region), and allocating one per request is what made a JVM with default
 * flags grow its heap under load. A pooled array is allocated once and then lives in the old generation.
 *
 * <p>Arrays are lent by exact length; callers that accept a longer array round their request up with
 * {@link #roundUp} so that pictures of nearby sizes share arrays. At most {@link #capacityBytes()} of idle
 * arrays are kept; beyond that the oldest idle ones are dropped for the collector. Arrays under
 * {@link #MIN_POOLED_BYTES} are plain allocations: the young generation handles them well.
 *
 * <p>A borrower gives an array back only once nothing else refers to it. An array never given back is
 * simply garbage, as before.
 */
public final class ArrayPool {

    /** Arrays smaller than this are not pooled. */
    public static final int MIN_POOLED_BYTES = 128 * 1024;

    /** The service's pool; its capacity is set from {@code resnet.limits.buffer-pool} at startup. */
    public static final ArrayPool SHARED = new ArrayPool(64L << 20);

    /** What the pool has done since it was made. */
    public record Stats(long allocated, long reused, long dropped, long idleBytes, int idleArrays) {}

    private final Map<Integer, ArrayDeque<float[]>> floats = new HashMap<>();
    private final Map<Integer, ArrayDeque<byte[]>> bytes = new HashMap<>();
    /** Idle arrays, oldest given back first: the ones dropped when the pool is full. */
    private final ArrayDeque<Object> idleOrder = new ArrayDeque<>();
    private long capacityBytes;
    private long idleBytes;
    private long allocated;
    private long reused;
    private long dropped;

    public ArrayPool(long capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    /**
     * {@code length} rounded up to the next of eight steps per power of two: at most 12.5 % longer, so
     * pictures of slightly different sizes borrow the same arrays.
     */
    public static int roundUp(int length) {
        if (length <= 8) {
            return length;
        }
        int step = Integer.highestOneBit(length) >> 3;
        long rounded = ((long) length + step - 1) / step * step;
        return rounded > Integer.MAX_VALUE - 8 ? length : (int) rounded;
    }

    /** A float array of exactly {@code length}, with undefined contents. */
    public float[] floats(int length) {
        if ((long) length * Float.BYTES < MIN_POOLED_BYTES) {
            return new float[length];
        }
        synchronized (this) {
            float[] array = take(floats, length, (long) length * Float.BYTES);
            if (array != null) {
                return array;
            }
            allocated++;
        }
        return new float[length];
    }

    /** A byte array of exactly {@code length}, with undefined contents. */
    public byte[] bytes(int length) {
        if (length < MIN_POOLED_BYTES) {
            return new byte[length];
        }
        synchronized (this) {
            byte[] array = take(bytes, length, length);
            if (array != null) {
                return array;
            }
            allocated++;
        }
        return new byte[length];
    }

    /** Takes {@code array} back for the next borrower; nothing may use it afterwards. */
    public void giveBack(float[] array) {
        if (array != null && (long) array.length * Float.BYTES >= MIN_POOLED_BYTES) {
            synchronized (this) {
                keep(floats, array, array.length, (long) array.length * Float.BYTES);
            }
        }
    }

    /** Takes {@code array} back for the next borrower; nothing may use it afterwards. */
    public void giveBack(byte[] array) {
        if (array != null && array.length >= MIN_POOLED_BYTES) {
            synchronized (this) {
                keep(bytes, array, array.length, array.length);
            }
        }
    }

    private <T> T take(Map<Integer, ArrayDeque<T>> idle, int length, long size) {
        ArrayDeque<T> same = idle.get(length);
        T array = same == null ? null : same.pollLast();
        if (array == null) {
            return null;
        }
        idleOrder.removeFirstOccurrence(array); // arrays compare by identity
        idleBytes -= size;
        reused++;
        return array;
    }

    private <T> void keep(Map<Integer, ArrayDeque<T>> idle, T array, int length, long size) {
        if (size > capacityBytes) {
            dropped++;
            return;
        }
        while (idleBytes + size > capacityBytes) {
            dropOldest();
        }
        idle.computeIfAbsent(length, k -> new ArrayDeque<>()).addLast(array);
        idleOrder.addLast(array);
        idleBytes += size;
    }

    private void dropOldest() {
        Object oldest = idleOrder.pollFirst();
        if (oldest instanceof float[] f) {
            floats.get(f.length).removeFirstOccurrence(f);
            idleBytes -= (long) f.length * Float.BYTES;
        } else if (oldest instanceof byte[] b) {
            bytes.get(b.length).removeFirstOccurrence(b);
            idleBytes -= b.length;
        }
        dropped++;
    }

    /** Sets how many bytes of idle arrays may be kept, dropping the oldest beyond it. */
    public synchronized void capacity(long bytes) {
        capacityBytes = Math.max(0, bytes);
        while (idleBytes > capacityBytes) {
            dropOldest();
        }
    }

    public synchronized long capacityBytes() {
        return capacityBytes;
    }

    public synchronized Stats stats() {
        return new Stats(allocated, reused, dropped, idleBytes, idleOrder.size());
    }
}
