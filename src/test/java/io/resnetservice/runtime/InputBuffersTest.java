package io.resnetservice.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.support.RandomTensors;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class InputBuffersTest {

    @Test
    void aReturnedBufferServesTheNextPassUpToItsCapacity() {
        InputBuffers buffers = new InputBuffers(2);
        ByteBuffer first = buffers.borrow(400);
        assertEquals(ByteOrder.nativeOrder(), first.order());
        assertEquals(0, first.position());
        assertEquals(400, first.limit());
        buffers.giveBack(first);

        ByteBuffer smaller = buffers.borrow(100);
        assertSame(first, smaller);
        assertEquals(100, smaller.limit());
        buffers.giveBack(smaller);

        ByteBuffer larger = buffers.borrow(800);
        assertTrue(larger != first && larger.capacity() >= 800);
        buffers.giveBack(larger);
        // Once a larger pass has run, new buffers are that large, so small ones stop being made.
        ByteBuffer concurrent1 = buffers.borrow(100);
        ByteBuffer concurrent2 = buffers.borrow(100);
        assertEquals(800, Math.min(concurrent1.capacity(), concurrent2.capacity()));
    }

    @Test
    void keepsAtMostTheBoundIdle() {
        InputBuffers buffers = new InputBuffers(2);
        ByteBuffer a = buffers.borrow(16);
        ByteBuffer b = buffers.borrow(16);
        ByteBuffer c = buffers.borrow(16);
        buffers.giveBack(a);
        buffers.giveBack(b);
        buffers.giveBack(c);
        assertEquals(2, buffers.idleCount());
    }

    /**
     * What the reuse is for: before it, every pass left a new direct buffer (its input batch) to the
     * garbage collector, and the process's native memory grew with the number of passes.
     */
    @Test
    void forwardPassesReuseOneInputBufferAndStillAnswerEachBatch() {
        try (LoadedModel model = shippedModel()) {
            int size = model.preprocessor().tensorSize();
            float[] four = RandomTensors.gaussian(4 * size, 7);
            float[][] batchOfFour = model.forward(four, 4);
            BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                    .filter(pool -> pool.getName().equals("direct")).findFirst().orElseThrow();
            long buffersBefore = direct.getCount();
            long bytesBefore = direct.getMemoryUsed();

            for (int pass = 0; pass < 40; pass++) {
                int image = pass % 4;
                // One image at a time in a buffer sized for four: only the first image's values may count.
                float[] one = java.util.Arrays.copyOfRange(four, image * size, (image + 1) * size);
                assertArrayEquals(batchOfFour[image], model.forward(one, 1)[0], 1e-4f, "pass " + pass);
            }
            assertArrayEquals(batchOfFour[3], model.forward(four, 4)[3], 1e-4f);

            assertTrue(direct.getCount() - buffersBefore <= 1,
                    "direct buffers: " + buffersBefore + " before 41 passes, " + direct.getCount() + " after");
            assertTrue(direct.getMemoryUsed() - bytesBefore <= 4L * size * Float.BYTES,
                    "direct bytes: " + bytesBefore + " before 41 passes, " + direct.getMemoryUsed() + " after");
            assertEquals(1, model.idleInputBuffers());
        }
    }

    @Test
    void aBatchOfTheWrongLengthIsRefused() {
        try (LoadedModel model = shippedModel()) {
            int size = model.preprocessor().tensorSize();
            assertThrows(IllegalArgumentException.class, () -> model.forward(new float[2 * size - 1], 2));
            assertThrows(IllegalArgumentException.class,
                    () -> model.forward(java.util.List.of(new float[size], new float[size - 1]), 2));
            assertEquals(1, model.idleInputBuffers());
        }
    }

    /** The batcher hands over one part per request; they must land in the batch in order, as one array would. */
    @Test
    void aBatchInPartsAnswersAsTheSameBatchInOneArray() {
        try (LoadedModel model = shippedModel()) {
            int size = model.preprocessor().tensorSize();
            float[] three = RandomTensors.gaussian(3 * size, 11);
            float[][] whole = model.forward(three, 3);
            float[][] parts = model.forward(java.util.List.of(
                    java.util.Arrays.copyOfRange(three, 0, 2 * size),
                    java.util.Arrays.copyOfRange(three, 2 * size, 3 * size)), 3);
            for (int image = 0; image < 3; image++) {
                assertArrayEquals(whole[image], parts[image], 0f, "image " + image);
            }
        }
    }


    private static LoadedModel shippedModel() {
        return LoadedModel.load(ModelFolder.embedded(), Device.cpu());
    }
}
