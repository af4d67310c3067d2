package io.resnetservice.buffers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ArrayPoolTest {

    private static final int LARGE = ArrayPool.MIN_POOLED_BYTES;

    @Test
    void anArrayGivenBackIsLentAgainAtTheSameLength() {
        ArrayPool pool = new ArrayPool(16L << 20);
        byte[] first = pool.bytes(LARGE);
        pool.giveBack(first);
        assertSame(first, pool.bytes(LARGE));
        assertNotSame(first, pool.bytes(LARGE), "lent once, it is not lent twice");
        float[] floats = pool.floats(LARGE / 4);
        pool.giveBack(floats);
        assertNotSame(floats, pool.floats(LARGE / 4 + 1), "another length is another array");
        assertSame(floats, pool.floats(LARGE / 4));
        ArrayPool.Stats stats = pool.stats();
        assertEquals(2, stats.reused());
        assertEquals(4, stats.allocated());
        assertEquals(0, stats.idleBytes());
    }

    @Test
    void smallArraysAreNeverKept() {
        ArrayPool pool = new ArrayPool(16L << 20);
        byte[] small = pool.bytes(LARGE - 1);
        pool.giveBack(small);
        assertNotSame(small, pool.bytes(LARGE - 1));
        assertEquals(new ArrayPool.Stats(0, 0, 0, 0, 0), pool.stats());
    }

    @Test
    void theOldestIdleArraysAreDroppedBeyondTheCapacity() {
        ArrayPool pool = new ArrayPool(2L * LARGE);
        byte[] a = pool.bytes(LARGE);
        byte[] b = pool.bytes(LARGE);
        byte[] c = pool.bytes(LARGE);
        pool.giveBack(a);
        pool.giveBack(b);
        pool.giveBack(c); // a goes
        assertEquals(2L * LARGE, pool.stats().idleBytes());
        assertEquals(1, pool.stats().dropped());
        assertSame(c, pool.bytes(LARGE), "the most recently given back first");
        assertSame(b, pool.bytes(LARGE));
        assertNotSame(a, pool.bytes(LARGE));
        pool.giveBack(new byte[3 * LARGE]); // larger than the whole pool: dropped at once
        assertEquals(0, pool.stats().idleArrays());
        pool.giveBack(new byte[LARGE]);
        pool.capacity(0);
        assertEquals(0, pool.stats().idleBytes(), "a smaller capacity drops what no longer fits");
    }

    @Test
    void roundingUpIsAtMostAnEighthMore() {
        for (int n = 1; n < 5_000_000; n = n * 3 / 2 + 1) {
            int r = ArrayPool.roundUp(n);
            assertTrue(r >= n && r <= n + n / 8 + 1, n + " -> " + r);
            assertEquals(r, ArrayPool.roundUp(r), "a rounded length is its own class");
        }
        // Pictures of nearby sizes share one class.
        assertEquals(ArrayPool.roundUp(3 * 1008 * 756), ArrayPool.roundUp(3 * 1000 * 750));
    }
}
