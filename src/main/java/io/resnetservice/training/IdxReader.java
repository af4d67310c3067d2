package io.resnetservice.training;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX format of (Fashion-)MNIST: a magic number (two zero bytes, a type code and the number of
 * dimensions), the size of each dimension, then the data. Only unsigned bytes (type 0x08) are accepted,
 * which is what the datasets use. Gzipped files are read transparently.
 */
public final class IdxReader {

    private static final int UNSIGNED_BYTE = 0x08;

    /** The tensor in an IDX file: its dimensions and its bytes in row-major order. */
    public record IdxData(int[] dimensions, byte[] data) {
        public int count() {
            return dimensions[0];
        }

        public int itemSize() {
            int size = 1;
            for (int i = 1; i < dimensions.length; i++) {
                size *= dimensions[i];
            }
            return size;
        }
    }

    private IdxReader() {}

    public static IdxData read(Path file, int expectedDimensions) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            InputStream in = (b0 == 0x1f && b1 == 0x8b) ? new GZIPInputStream(raw, 1 << 16) : raw;
            return read(in, expectedDimensions, file.toString());
        }
    }

    public static IdxData read(InputStream input, int expectedDimensions, String name) throws IOException {
        DataInputStream in = new DataInputStream(input);
        try {
            int magic = in.readInt();
            int type = (magic >>> 8) & 0xff;
            int dims = magic & 0xff;
            if ((magic >>> 16) != 0 || type != UNSIGNED_BYTE || dims != expectedDimensions) {
                throw new IOException(String.format(Locale.ROOT, 
                        "%s is not an IDX file of unsigned bytes with %d dimensions (magic number 0x%08x, expected 0x%08x)",
                        name, expectedDimensions, magic, (UNSIGNED_BYTE << 8) | expectedDimensions));
            }
            int[] dimensions = new int[dims];
            long total = 1;
            for (int i = 0; i < dims; i++) {
                dimensions[i] = in.readInt();
                if (dimensions[i] <= 0) {
                    throw new IOException(name + ": dimension " + i + " has size " + dimensions[i]);
                }
                total *= dimensions[i];
            }
            if (total > Integer.MAX_VALUE - 8) {
                throw new IOException(name + ": " + total + " bytes of data is more than this reader holds");
            }
            byte[] data = new byte[(int) total];
            in.readFully(data);
            if (in.read() != -1) {
                throw new IOException(name + ": trailing bytes after " + total + " bytes of data");
            }
            return new IdxData(dimensions, data);
        } catch (EOFException e) {
            throw new IOException(name + " is truncated: it ends before the data its header declares", e);
        }
    }
}
