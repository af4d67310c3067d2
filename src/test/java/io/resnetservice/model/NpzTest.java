package io.resnetservice.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

class NpzTest {

    private static byte[] npz(Map<String, Npz.Array> arrays) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npz.write(out, arrays);
        return out.toByteArray();
    }

    private static float[] floats(int n, float from) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = from + i * 0.25f;
        }
        return values;
    }

    @Test
    void streamedArraysMatchTheOnesReadWholeAndTheBufferIsNative() throws IOException {
        Map<String, Npz.Array> arrays = new LinkedHashMap<>();
        arrays.put("big", new Npz.Array(new long[] {4, 3, 5}, floats(60, -7)));
        arrays.put("small", new Npz.Array(new long[] {6}, floats(6, 100)));
        arrays.put("bigger", new Npz.Array(new long[] {2, 50}, floats(100, 3)));
        byte[] file = npz(arrays);
        Map<String, Npz.Array> whole = Npz.read(new ByteArrayInputStream(file));
        List<String> seen = new ArrayList<>();
        Npz.forEach(new ByteArrayInputStream(file), (name, shape, values) -> {
            assertTrue(values.isDirect(), "the values are in native memory, not on the heap");
            float[] got = new float[values.remaining() / 4];
            values.asFloatBuffer().get(got);
            // A smaller array after a larger one sees only its own values in the reused buffer.
            assertArrayEquals(whole.get(name).data(), got, name);
            assertArrayEquals(whole.get(name).shape(), shape, name);
            seen.add(name);
        });
        assertEquals(List.of("big", "small", "bigger"), seen);
    }

    @Test
    void theCallersStreamStaysOpenForWhatFollows() throws IOException {
        byte[] file = npz(Map.of("a", new Npz.Array(new long[] {2}, floats(2, 1))));
        ByteArrayInputStream in = new ByteArrayInputStream(file);
        Npz.forEach(in, (name, shape, values) -> { });
        in.readAllBytes(); // the zip's directory, after the arrays
        assertEquals(0, in.available());
    }

    @Test
    void anArrayWithMoreOrFewerBytesThanItsShapeIsRefused() throws IOException {
        for (int delta : new int[] {-4, 4}) {
            byte[] good = npz(Map.of("a", new Npz.Array(new long[] {3}, floats(3, 1))));
            byte[] entry = entryBytes(good);
            byte[] changed = java.util.Arrays.copyOf(entry, entry.length + delta);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ZipOutputStream zip = new ZipOutputStream(out)) {
                zip.putNextEntry(new ZipEntry("a.npy"));
                zip.write(changed);
                zip.closeEntry();
            }
            IOException e = assertThrows(IOException.class,
                    () -> Npz.forEach(new ByteArrayInputStream(out.toByteArray()), (name, shape, values) -> { }));
            assertTrue(e.getMessage().contains("a.npy: holds " + (12 + delta) + " bytes of data, shape needs 12"),
                    e.getMessage());
        }
    }

    @Test
    void aZipWithoutArraysIsNotAnNpz() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("notes.txt"));
            zip.write(1);
            zip.closeEntry();
        }
        IOException e = assertThrows(IOException.class,
                () -> Npz.forEach(new ByteArrayInputStream(out.toByteArray()), (name, shape, values) -> { }));
        assertTrue(e.getMessage().contains("notes.txt is not an .npy array"), e.getMessage());
        IOException empty = assertThrows(IOException.class,
                () -> Npz.forEach(new ByteArrayInputStream(npzWithoutEntries()), (name, shape, values) -> { }));
        assertFalse(empty.getMessage().isEmpty());
    }

    private static byte[] npzWithoutEntries() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new ZipOutputStream(out).close();
        return out.toByteArray();
    }

    private static byte[] entryBytes(byte[] npz) throws IOException {
        try (var zip = new java.util.zip.ZipInputStream(new ByteArrayInputStream(npz))) {
            zip.getNextEntry();
            return zip.readAllBytes();
        }
    }

    @Test
    void visitorsSeeLittleEndianValues() throws IOException {
        byte[] file = npz(Map.of("one", new Npz.Array(new long[] {1}, new float[] {1.5f})));
        Npz.forEach(new ByteArrayInputStream(file), (name, shape, values) -> {
            assertEquals(java.nio.ByteOrder.LITTLE_ENDIAN, values.order());
            assertEquals(1.5f, values.getFloat(0));
            assertEquals(ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).getInt(0),
                    values.getInt(0));
        });
    }
}
