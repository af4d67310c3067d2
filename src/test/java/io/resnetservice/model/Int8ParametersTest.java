package io.resnetservice.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Int8ParametersTest {

    @Test
    void rangesMapOntoTheCodesWithZeroExactlyRepresented() {
        Int8Parameters.Affine relu = Int8Parameters.Affine.of(0, 12.7, 127);
        assertEquals(0.1, relu.scale(), 1e-12);
        assertEquals(0, relu.zeroPoint());
        Int8Parameters.Affine signed = Int8Parameters.Affine.of(-1, 1, 127);
        assertEquals(2.0 / 127, signed.scale(), 1e-12);
        assertEquals(64, signed.zeroPoint(), "round(1 / (2/127)) = round(63.5)");
        Int8Parameters.Affine positive = Int8Parameters.Affine.of(2, 4, 127);
        assertEquals(4.0 / 127, positive.scale(), 1e-12, "the range is widened to hold 0");
        assertEquals(0, positive.zeroPoint());
        Int8Parameters.Affine negative = Int8Parameters.Affine.of(-3, -1, 127);
        assertEquals(127, negative.zeroPoint());
        assertThrows(IllegalArgumentException.class, () -> new Int8Parameters.Affine(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Int8Parameters.Affine(0.1, 256));
    }

    @Test
    void parametersRoundTripThroughTheirFile() throws IOException {
        Int8Parameters p = new Int8Parameters(
                List.of(new Int8Parameters.Affine(0.0251, 61), new Int8Parameters.Affine(0.5, 0)),
                List.of(new float[] {0.01f, 0.02f, 0.03f}, new float[] {0.5f}));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.write(out);
        Int8Parameters back = Int8Parameters.read(new ByteArrayInputStream(out.toByteArray()));
        assertEquals(2, back.activations().size());
        assertEquals(0.0251, back.activations().get(0).scale(), 1e-9);
        assertEquals(61, back.activations().get(0).zeroPoint());
        assertEquals(p.activations().get(1), back.activations().get(1));
        assertEquals(2, back.weightScales().size());
        assertArrayEquals(p.weightScales().get(0), back.weightScales().get(0));
        assertArrayEquals(p.weightScales().get(1), back.weightScales().get(1));
    }

    private static byte[] npz(Map<String, Npz.Array> arrays) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npz.write(out, arrays);
        return out.toByteArray();
    }

    @Test
    void aMalformedFileSaysWhatIsWrong() throws IOException {
        Map<String, Npz.Array> arrays = new LinkedHashMap<>();
        arrays.put("activation_scale", new Npz.Array(new long[] {2}, new float[] {0.1f, 0.2f}));
        assertEquals("no array activation_zero_point", assertThrows(IOException.class,
                () -> Int8Parameters.read(new ByteArrayInputStream(npz(arrays)))).getMessage());
        arrays.put("activation_zero_point", new Npz.Array(new long[] {2}, new float[] {3f, 2.5f}));
        assertEquals("activation_zero_point[1] is not an integer: 2.5", assertThrows(IOException.class,
                () -> Int8Parameters.read(new ByteArrayInputStream(npz(arrays)))).getMessage());
        arrays.put("activation_zero_point", new Npz.Array(new long[] {2}, new float[] {3f, 2f}));
        arrays.put("weight_scale_0", new Npz.Array(new long[] {1}, new float[] {-1f}));
        assertTrue(assertThrows(IOException.class, () -> Int8Parameters.read(new ByteArrayInputStream(npz(arrays))))
                .getMessage().contains("a weight scale must be a positive number, was -1.0"));
        arrays.put("weight_scale_0", new Npz.Array(new long[] {1, 1}, new float[] {1f}));
        assertEquals("weight_scale_0 must be a vector, has shape [1, 1]", assertThrows(IOException.class,
                () -> Int8Parameters.read(new ByteArrayInputStream(npz(arrays)))).getMessage());
        arrays.put("weight_scale_0", new Npz.Array(new long[] {1}, new float[] {1f}));
        arrays.put("weight_scale_2", new Npz.Array(new long[] {1}, new float[] {1f}));
        assertTrue(assertThrows(IOException.class, () -> Int8Parameters.read(new ByteArrayInputStream(npz(arrays))))
                .getMessage().startsWith("unexpected arrays"));
        arrays.remove("weight_scale_2");
        assertEquals(1, Int8Parameters.read(new ByteArrayInputStream(npz(arrays))).weightScales().size());
    }
}
