package io.resnetservice.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import io.resnetservice.model.ModelLoadException;
import org.junit.jupiter.api.Test;

class NativeEngineTest {

    @Test
    void devicesAreTheOnesTheEngineHas() {
        int gpus = Engine.getInstance().getGpuCount();
        assertEquals(Device.cpu(), NativeEngine.device("cpu"));
        assertEquals(gpus > 0 ? Device.gpu() : Device.cpu(), NativeEngine.device("auto"));
        assertEquals("resnet.device is gpu:" + gpus + " but the PyTorch engine sees " + gpus + " GPU(s); use cpu or auto",
                assertThrows(ModelLoadException.class, () -> NativeEngine.device("gpu:" + gpus)).getMessage());
        if (gpus == 0) {
            assertEquals("resnet.device is gpu but the PyTorch engine sees 0 GPU(s); use cpu or auto",
                    assertThrows(ModelLoadException.class, () -> NativeEngine.device("gpu")).getMessage());
        } else {
            assertEquals(Device.gpu(gpus - 1), NativeEngine.device("gpu:" + (gpus - 1)));
        }
    }

    @Test
    void threadSettingsReachLibtorch() throws Exception {
        String intra = System.getProperty("ai.djl.pytorch.num_threads");
        String inter = System.getProperty("ai.djl.pytorch.num_interop_threads");
        int original = JniUtils.getNumThreads();
        try {
            System.clearProperty("ai.djl.pytorch.num_interop_threads");
            NativeEngine.configureThreads(2, 0);
            assertEquals("2", System.getProperty("ai.djl.pytorch.num_threads"));
            assertNull(System.getProperty("ai.djl.pytorch.num_interop_threads"), "0 leaves the engine's default");
            assertEquals(2, JniUtils.getNumThreads());
            NativeEngine.configureThreads(1, 3);
            assertEquals("3", System.getProperty("ai.djl.pytorch.num_interop_threads"));
            assertEquals(1, JniUtils.getNumThreads());
            int[] seen = new int[2];
            Thread other = new Thread(() -> {
                NativeEngine.setThreadsOfThisThread(2);
                seen[0] = JniUtils.getNumThreads();
            });
            other.start();
            other.join();
            NativeEngine.setThreadsOfThisThread(1);
            seen[1] = JniUtils.getNumThreads();
            assertArrayEquals(new int[] {2, 1}, seen, "each thread's own setting");
        } finally {
            restore("ai.djl.pytorch.num_threads", intra);
            restore("ai.djl.pytorch.num_interop_threads", inter);
            JniUtils.setNumThreads(original);
        }
    }

    static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
