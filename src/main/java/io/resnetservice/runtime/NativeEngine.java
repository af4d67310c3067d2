package io.resnetservice.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import io.resnetservice.model.ModelLoadException;

/** The PyTorch engine's process-wide settings: its thread pools and the device models load onto. */
public final class NativeEngine {

    private NativeEngine() {}

    /**
     * Sets libtorch's intra-op threads (and inter-op threads when positive) before the engine starts, and
     * the intra-op count again on the started engine, whose own default is the node's cores rather than a
     * container's limit.
     */
    public static void configureThreads(int intraOp, int interOp) {
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(intraOp));
        if (interOp > 0) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", Integer.toString(interOp));
        }
        Engine.getInstance();
        JniUtils.setNumThreads(intraOp);
    }

    /**
     * Intra-op threads for the forward passes the calling thread runs from now on. libtorch's OpenMP
     * pool takes its size from the calling thread's setting, so two threads may run passes of different
     * widths at once.
     */
    public static void setThreadsOfThisThread(int intraOp) {
        JniUtils.setNumThreads(intraOp);
    }

    /** {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N} as a device this engine has. */
    public static Device device(String setting) {
        return switch (setting) {
            case "auto" -> Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
            case "cpu" -> Device.cpu();
            default -> {
                int id = setting.startsWith("gpu:") ? Integer.parseInt(setting.substring(4)) : 0;
                int gpus = Engine.getInstance().getGpuCount();
                if (id >= gpus) {
                    throw new ModelLoadException("resnet.device is " + setting + " but the PyTorch engine sees "
                            + gpus + " GPU(s); use cpu or auto", null);
                }
                yield Device.gpu(id);
            }
        };
    }
}
