package io.resnetservice.serving;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Tensors as raw bytes, the encoding of gRPC's {@code raw_input_contents} / {@code raw_output_contents}
 * and of Triton's binary data extension over HTTP: row-major little-endian elements; a BOOL element is
 * one byte; a BYTES element is a 4-byte little-endian length followed by that many bytes.
 */
public final class RawTensors {

    /** Raw bytes that do not hold what the tensor declares ({@code tooLarge}: an element over a limit). */
    public static final class MalformedException extends RuntimeException {
        private final boolean tooLarge;

        MalformedException(String message, boolean tooLarge) {
            super(message, null, false, false);
            this.tooLarge = tooLarge;
        }

        public boolean tooLarge() {
            return tooLarge;
        }
    }

    private RawTensors() {}

    /** {@code count} FP32 values; the bytes must be exactly that many. */
    public static float[] floats(ByteBuffer raw, long count) {
        if (raw.remaining() != count * Float.BYTES) {
            throw new MalformedException("raw FP32 input holds " + raw.remaining() + " bytes but its shape needs "
                    + count * Float.BYTES + " (" + count + " values of 4 bytes)", false);
        }
        float[] values = new float[(int) count];
        raw.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }

    /**
     * The index of the first NaN or infinite value, or -1: JSON cannot carry one, and in raw bytes one is
     * almost always a client that wrote big-endian floats, which would come back as NaN probabilities.
     */
    public static int firstNonFinite(float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The elements of a raw BYTES tensor: a length that runs past the end, or bytes left over, is malformed;
     * an element over {@code maxElementBytes}, or more than {@code maxElements} of them, too large.
     */
    public static List<byte[]> elements(ByteBuffer raw, long maxElementBytes, int maxElements) {
        ByteBuffer in = raw.slice().order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> elements = new ArrayList<>();
        while (in.hasRemaining()) {
            if (in.remaining() < Integer.BYTES) {
                throw new MalformedException("raw BYTES input ends inside the 4-byte length of element "
                        + elements.size(), false);
            }
            long length = Integer.toUnsignedLong(in.getInt());
            if (length > in.remaining()) {
                throw new MalformedException("raw BYTES element " + elements.size() + " declares " + length
                        + " bytes but " + in.remaining() + " remain", false);
            }
            if (length > maxElementBytes) {
                throw new MalformedException("image " + elements.size() + " is over " + maxElementBytes + " bytes",
                        true);
            }
            if (elements.size() == maxElements) {
                throw new MalformedException(elements.size() + 1 + " or more images in one request; the limit is "
                        + maxElements, true);
            }
            byte[] element = new byte[(int) length];
            in.get(element);
            elements.add(element);
        }
        return elements;
    }

    public static byte[] floats(float[] values) {
        ByteBuffer out = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        out.asFloatBuffer().put(values);
        return out.array();
    }

    public static byte[] bools(boolean[] values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) (values[i] ? 1 : 0);
        }
        return out;
    }

    public static byte[] strings(List<String> values) {
        List<byte[]> encoded = values.stream().map(v -> v.getBytes(StandardCharsets.UTF_8)).toList();
        int size = encoded.stream().mapToInt(e -> Integer.BYTES + e.length).sum();
        ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        for (byte[] e : encoded) {
            out.putInt(e.length).put(e);
        }
        return out.array();
    }
}
