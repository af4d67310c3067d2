package io.resnetservice.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

    static byte[] idx(int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(magic);
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(data);
        return bytes.toByteArray();
    }

    static byte[] pixels(int n) {
        byte[] data = new byte[n];
        for (int i = 0; i < n; i++) {
            data[i] = (byte) (i * 7);
        }
        return data;
    }

    @Test
    void readsAGzippedImageFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("images-idx3-ubyte.gz");
        byte[] data = pixels(3 * 4 * 5);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(idx(0x00000803, new int[] {3, 4, 5}, data));
        }
        IdxReader.IdxData read = IdxReader.read(file, 3);
        assertArrayEquals(new int[] {3, 4, 5}, read.dimensions());
        assertEquals(3, read.count());
        assertEquals(20, read.itemSize());
        assertArrayEquals(data, read.data());
    }

    @Test
    void readsAPlainLabelFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("labels-idx1-ubyte");
        Files.write(file, idx(0x00000801, new int[] {4}, new byte[] {1, 2, 3, 9}));
        assertArrayEquals(new byte[] {1, 2, 3, 9}, IdxReader.read(file, 1).data());
    }

    @Test
    void aTruncatedFileIsAClearError(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("short-idx3-ubyte");
        byte[] full = idx(0x00000803, new int[] {10, 28, 28}, pixels(10 * 28 * 28));
        Files.write(file, Arrays.copyOf(full, full.length - 100));
        IOException e = assertThrows(IOException.class, () -> IdxReader.read(file, 3));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void aWrongMagicNumberIsAClearError(@TempDir Path dir) throws IOException {
        Path png = dir.resolve("not-idx");
        Files.write(png, new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 0});
        IOException e = assertThrows(IOException.class, () -> IdxReader.read(png, 3));
        assertTrue(e.getMessage().contains("magic number"), e.getMessage());

        Path labels = dir.resolve("labels-as-images");
        Files.write(labels, idx(0x00000801, new int[] {2}, new byte[] {1, 2}));
        assertThrows(IOException.class, () -> IdxReader.read(labels, 3), "one dimension where three are expected");
    }

    @Test
    void trailingBytesAreAnError(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("long-idx1-ubyte");
        Files.write(file, idx(0x00000801, new int[] {2}, new byte[] {1, 2, 3}));
        assertThrows(IOException.class, () -> IdxReader.read(file, 1));
    }

    @Test
    void aMissingDatasetFolderSaysWhichPackageToInstall(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class, () -> FashionMnist.test(dir.resolve("nowhere")));
        assertTrue(e.getMessage().contains("dataset-fashion-mnist"), e.getMessage());
    }
}
