package io.resnetservice.model;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Reads and writes NumPy's {@code .npz} (a zip of {@code .npy} files), as {@code numpy.savez} writes
 * it, for little-endian float32 arrays in C order: what {@code tools/torchvision_export.py} produces.
 */
public final class Npz {

    /** One array: its shape and its values in row-major order. */
    public record Array(long[] shape, float[] data) {
        public String shapeText() {
            return Arrays.toString(shape);
        }
    }

    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    private Npz() {}

    public static Map<String, Array> read(InputStream in) throws IOException {
        Map<String, Array> arrays = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                String name = entry.getName();
                if (!name.endsWith(".npy")) {
                    throw new IOException("not an .npz file: entry " + name + " is not an .npy array");
                }
                arrays.put(name.substring(0, name.length() - 4), readNpy(zip.readAllBytes(), name));
            }
        }
        if (arrays.isEmpty()) {
            throw new IOException("not an .npz file (no arrays found)");
        }
        return arrays;
    }

    /** Writes {@code arrays} as an .npz that {@code numpy.load} and {@link #read} read back. */
    public static void write(OutputStream out, Map<String, Array> arrays) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        for (Map.Entry<String, Array> entry : arrays.entrySet()) {
            zip.putNextEntry(new ZipEntry(entry.getKey() + ".npy"));
            Array array = entry.getValue();
            StringBuilder shape = new StringBuilder();
            for (long d : array.shape()) {
                shape.append(d).append(", ");
            }
            String dims = array.shape().length == 1 ? shape.toString().strip() : shape.substring(0, Math.max(0, shape.length() - 2));
            String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
            int total = 10 + header.length() + 1;
            header = header + " ".repeat((64 - total % 64) % 64) + "\n";
            ByteBuffer head = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
            head.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0)
                    .putShort((short) header.length());
            zip.write(head.array());
            zip.write(header.getBytes(StandardCharsets.ISO_8859_1));
            ByteBuffer data = ByteBuffer.allocate(array.data().length * 4).order(ByteOrder.LITTLE_ENDIAN);
            data.asFloatBuffer().put(array.data());
            zip.write(data.array());
            zip.closeEntry();
        }
        zip.finish();
    }

    public static Array readNpy(byte[] bytes, String name) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        Header header = Header.read(in, name);
        if (bytes.length - header.dataOffset() != header.count() * 4) {
            throw new IOException(name + ": holds " + (bytes.length - header.dataOffset()) + " bytes of data, shape needs "
                    + header.count() * 4);
        }
        float[] data = new float[(int) header.count()];
        ByteBuffer.wrap(bytes, header.dataOffset(), (int) header.count() * 4).order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer().get(data);
        return new Array(header.shape(), data);
    }

    /** Receives the arrays of {@link #forEach}, one at a time. */
    @FunctionalInterface
    public interface ArrayVisitor {
        /**
         * One array: {@code values} holds its floats, little-endian, in a direct buffer that is reused for
         * the next array, so it is valid only during this call.
         */
        void visit(String name, long[] shape, ByteBuffer values) throws IOException;
    }

    /**
     * Reads an .npz array by array into one native buffer, sized to the largest array and reused, so that
     * loading a model's weights puts none of them on the Java heap (a 9 MB convolution would be a
     * humongous object there, and the heap would keep the room it grew to).
     */
    public static void forEach(InputStream in, ArrayVisitor visitor) throws IOException {
        ByteBuffer buffer = null;
        byte[] chunk = new byte[1 << 16];
        int arrays = 0;
        // The caller's stream stays open: it may go on reading what follows the arrays (a digest of the file).
        try (ZipInputStream zip = new ZipInputStream(new FilterInputStream(in) {
            @Override
            public void close() {}
        })) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                String name = entry.getName();
                if (!name.endsWith(".npy")) {
                    throw new IOException("not an .npz file: entry " + name + " is not an .npy array");
                }
                Header header = Header.read(new DataInputStream(zip), name);
                long bytes = header.count() * 4;
                if (bytes < 0 || bytes > Integer.MAX_VALUE - 8) {
                    throw new IOException(name + ": " + bytes + " bytes is more than one array may hold");
                }
                if (buffer == null || buffer.capacity() < bytes) {
                    buffer = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
                }
                buffer.clear().limit((int) bytes);
                long extra = 0;
                for (int n; (n = zip.read(chunk, 0, buffer.hasRemaining() ? Math.min(chunk.length, buffer.remaining()) : chunk.length)) > 0; ) {
                    int fits = Math.min(n, buffer.remaining());
                    buffer.put(chunk, 0, fits);
                    extra += n - fits;
                }
                if (buffer.hasRemaining() || extra > 0) {
                    throw new IOException(name + ": holds " + (buffer.position() + extra) + " bytes of data, shape needs " + bytes);
                }
                buffer.flip();
                visitor.visit(name.substring(0, name.length() - 4), header.shape(), buffer.slice().order(ByteOrder.LITTLE_ENDIAN));
                arrays++;
            }
        }
        if (arrays == 0) {
            throw new IOException("not an .npz file (no arrays found)");
        }
    }

    /** An .npy header: the array's shape and where its data starts. */
    private record Header(long[] shape, long count, int dataOffset) {
        static Header read(DataInputStream in, String name) throws IOException {
            byte[] magic = new byte[6];
            in.readFully(magic);
            if (magic[0] != (byte) 0x93 || !new String(magic, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
                throw new IOException(name + " is not an .npy array");
            }
            int major = in.readUnsignedByte();
            in.readUnsignedByte();
            int headerLength = major == 1
                    ? Short.toUnsignedInt(Short.reverseBytes(in.readShort()))
                    : Integer.reverseBytes(in.readInt());
            if (headerLength < 0 || headerLength > 1 << 20) {
                throw new IOException(name + ": unreadable .npy header of " + headerLength + " bytes");
            }
            byte[] headerBytes = new byte[headerLength];
            in.readFully(headerBytes);
            String header = new String(headerBytes, StandardCharsets.ISO_8859_1);
            Matcher descr = DESCR.matcher(header);
            Matcher fortran = FORTRAN.matcher(header);
            Matcher shapeMatch = SHAPE.matcher(header);
            if (!descr.find() || !fortran.find() || !shapeMatch.find()) {
                throw new IOException(name + ": unreadable .npy header " + header.strip());
            }
            if (!descr.group(1).equals("<f4") || fortran.group(1).equals("True")) {
                throw new IOException(name + ": expected little-endian float32 in C order, found " + descr.group(1)
                        + (fortran.group(1).equals("True") ? " in Fortran order" : ""));
            }
            String[] dims = shapeMatch.group(1).split(",");
            long[] shape = Arrays.stream(dims).map(String::strip).filter(s -> !s.isEmpty())
                    .mapToLong(Long::parseLong).toArray();
            long count = 1;
            for (long d : shape) {
                count *= d;
            }
            return new Header(shape, count, 6 + 2 + (major == 1 ? 2 : 4) + headerLength);
        }
    }
}
