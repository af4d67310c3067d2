package io.resnetservice.training;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import io.resnetservice.runtime.TorchScriptArchive;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Mixed-precision training forward, as PyTorch's CPU autocast does it: convolutions and the fully
 * connected layer compute in bfloat16 from bfloat16 copies of the float32 weights, BatchNorm takes
 * bfloat16 activations with its float32 scale, shift and running statistics, and the logits come back
 * as float32 for the loss. The weights, their gradients and the optimizer stay float32: a bfloat16
 * weight would lose SGD's small updates in its 8-bit mantissa.
 *
 * <p>Why: on CPUs with AVX512-BF16 oneDNN's bfloat16 convolutions do twice the multiply-adds per
 * instruction, and the activations move half the bytes: a 56x56 epoch took ~190 s instead of ~275 s
 * on this project's 2-core machine.
 *
 * <p>DJL has no autocast, so the casts happen where the blocks fetch their weights: a parameter store
 * that hands out bfloat16 copies. It delegates to the trainer's own store, so that store still sees
 * every parameter and {@link Trainer#step()} updates them as usual; DJL does not expose that store,
 * hence the reflection. DJL 0.36's JNI cannot name bfloat16 either ({@code toType(BFLOAT16)} aborts
 * the process), so the casts are two one-line TorchScript modules, run in training mode so that
 * autograd records them.
 */
final class Bfloat16Autocast implements AutoCloseable {

    /** c10::ScalarType codes: serialized TorchScript names dtypes by number. */
    private static final int FLOAT32 = 6;
    private static final int BFLOAT16 = 15;

    private final Trainer trainer;
    private final ParameterStore trainerStore;
    private final NDManager castManager;
    private final PtSymbolBlock toBfloat16;
    private final PtSymbolBlock toFloat32;

    Bfloat16Autocast(Trainer trainer) {
        this.trainer = trainer;
        try {
            Field field = Trainer.class.getDeclaredField("parameterStore");
            field.setAccessible(true);
            this.trainerStore = (ParameterStore) field.get(trainer);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this DJL version's Trainer has no parameterStore field", e);
        }
        this.castManager = trainer.getManager().newSubManager();
        try {
            this.toBfloat16 = caster("ToBfloat16", BFLOAT16);
            this.toFloat32 = caster("ToFloat32", FLOAT32);
        } catch (RuntimeException e) {
            castManager.close();
            throw e;
        }
    }

    /**
     * Whether the CPU has bfloat16 multiply-add instructions (Linux's flag names); where the file cannot
     * be read the answer is yes, so only a CPU known to lack them draws a warning.
     */
    static boolean cpuHasBfloat16Instructions(Path cpuinfo) {
        try {
            String flags = Files.readString(cpuinfo);
            return flags.contains(" avx512_bf16") || flags.contains(" amx_bf16");
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    private PtSymbolBlock caster(String className, int scalarType) {
        String source = "class " + className + "(Module):\n"
                + "  __parameters__ = []\n"
                + "  __buffers__ = []\n"
                + "  training : bool\n"
                + "  def forward(self: __torch__." + className + ",\n"
                + "    x: Tensor) -> Tensor:\n"
                + "    return x.to(" + scalarType + ")\n";
        try {
            return JniUtils.loadModule((PtNDManager) castManager,
                    new ByteArrayInputStream(TorchScriptArchive.of(className, source)), false, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The training forward of {@code input} (float32); the casts live in {@code stepManager}. */
    NDArray forward(NDArray input, NDManager stepManager) {
        Block net = trainer.getModel().getBlock();
        ParameterStore casting = new CastingStore(this, trainerStore, stepManager);
        NDArray logits = net.forward(casting, new NDList(cast(toBfloat16, input, stepManager)), true)
                .singletonOrThrow();
        return cast(toFloat32, logits, stepManager);
    }

    private static NDArray cast(PtSymbolBlock caster, NDArray array, NDManager stepManager) {
        NDArray result = IValueUtils.forward(caster, new NDList(array), true).singletonOrThrow();
        result.attach(stepManager);
        return result;
    }

    @Override
    public void close() {
        castManager.close();
    }

    private static final class CastingStore extends ParameterStore {
        private final Bfloat16Autocast autocast;
        private final ParameterStore delegate;
        private final NDManager stepManager;

        CastingStore(Bfloat16Autocast autocast, ParameterStore delegate, NDManager stepManager) {
            super(stepManager, false);
            this.autocast = autocast;
            this.delegate = delegate;
            this.stepManager = stepManager;
        }

        @Override
        public NDArray getValue(Parameter parameter, Device device, boolean training) {
            NDArray value = delegate.getValue(parameter, device, training);
            if (value == null || !castsToLowPrecision(parameter)) {
                return value;
            }
            // The copy is part of the autograd graph, so the gradient reaches the float32 weight.
            return cast(autocast.toBfloat16, value, stepManager);
        }

        private static boolean castsToLowPrecision(Parameter parameter) {
            return parameter.getType() == Parameter.Type.WEIGHT || parameter.getType() == Parameter.Type.BIAS;
        }
    }
}
