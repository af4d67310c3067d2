package io.resnetservice.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.resnetservice.support.TestModels;
import org.junit.jupiter.api.Test;

/** model.json's precision: fp32 unless it says otherwise, int8 only with its quantization parameters. */
class ModelSpecPrecisionTest {

    private static final ModelSpec FP32 = TestModels.fashionSpec("m");

    @Test
    void precisionIsFp32UnlessSaid() {
        assertEquals(ModelSpec.Precision.FP32, FP32.precision());
        assertEquals("int8", ModelSpec.Precision.INT8.label());
    }

    @Test
    void int8NeedsItsParametersAndOnlyInt8HasThem() {
        assertEquals("model.json: precision int8 needs quantization {parameters: a file name}, which the quantize"
                + " command writes", assertThrows(IllegalArgumentException.class,
                        () -> FP32.with("m", ModelSpec.Precision.INT8, null)).getMessage());
        ModelSpec.Quantization q = new ModelSpec.Quantization("p.npz", "minmax", "x", 1L);
        assertEquals("model.json: quantization is only read with precision int8", assertThrows(
                IllegalArgumentException.class, () -> FP32.with("m", ModelSpec.Precision.BF16, q)).getMessage());
        assertEquals(q, FP32.with("m", ModelSpec.Precision.INT8, q).quantization());
        assertThrows(NullPointerException.class, () -> new ModelSpec.Quantization(null, null, null, null));
    }

    @Test
    void aTorchScriptModuleRunsAtThePrecisionItWasSavedIn() {
        String message = assertThrows(IllegalArgumentException.class, () -> new ModelSpec("t", "resnet", 0, null,
                ModelSpec.Format.TORCHSCRIPT, "t.pt", null, FP32.input(), FP32.preprocess(), null, null,
                ModelSpec.Precision.BF16, null)).getMessage();
        assertEquals("model.json: precision bf16 needs one of this project's ResNets; a TorchScript module runs as it"
                + " was saved", message);
    }
}
