package io.resnetservice.web.v2;

import io.resnetservice.serving.RawTensors;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * Triton's binary tensor data extension, which tritonclient's HTTP client speaks: a request's body is a
 * JSON header of {@value #HEADER} bytes followed by the raw bytes of the inputs that declare
 * {@code parameters.binary_data_size}; outputs asked for with {@code binary_data} (or every output, with
 * the request's {@code binary_data_output}) come back the same way. Raw bytes are little-endian, a BOOL is
 * one byte, a BYTES element a 4-byte length and then its bytes ({@link RawTensors}).
 */
final class BinaryTensors {

    static final String HEADER = "Inference-Header-Content-Length";
    static final String EXTENSION = "binary_tensor_data";
    static final String SIZE = "binary_data_size";

    private BinaryTensors() {}

    /** A request body split at its JSON header's length. */
    record Body(byte[] json, ByteBuffer binary) {}

    static Body split(byte[] body, String headerLength) {
        long length;
        try {
            length = Long.parseLong(headerLength.trim());
        } catch (NumberFormatException e) {
            throw bad(HEADER + " must be a number of bytes, was \"" + headerLength + "\"");
        }
        if (length < 0 || length > body.length) {
            throw bad(HEADER + " is " + length + " but the body holds " + body.length + " bytes");
        }
        byte[] json = java.util.Arrays.copyOf(body, (int) length);
        ByteBuffer binary = ByteBuffer.wrap(body, (int) length, body.length - (int) length).slice();
        return new Body(json, binary);
    }

    /** A response whose binary outputs' data follow its JSON header. */
    record Response(Map<String, Object> header, byte[] binary) {}

    /**
     * Moves the data of the outputs named in {@code binary} out of the JSON, in output order, each
     * replaced by its {@value #SIZE}.
     */
    @SuppressWarnings("unchecked")
    static Response encode(Map<String, Object> response, java.util.Set<String> binary) {
        Map<String, Object> header = new LinkedHashMap<>(response);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<Map<String, Object>> outputs = new ArrayList<>();
        for (Map<String, Object> output : (List<Map<String, Object>>) response.get("outputs")) {
            if (!binary.contains((String) output.get("name"))) {
                outputs.add(output);
                continue;
            }
            Map<String, Object> out = new LinkedHashMap<>(output);
            Object data = out.remove("data");
            byte[] raw;
            if (data instanceof float[] f) {
                raw = RawTensors.floats(f);
            } else if (data instanceof boolean[] b) {
                raw = RawTensors.bools(b);
            } else {
                raw = RawTensors.strings((List<String>) data);
            }
            out.put("parameters", Map.of(SIZE, raw.length));
            bytes.writeBytes(raw);
            outputs.add(out);
        }
        header.put("outputs", outputs);
        return new Response(header, bytes.toByteArray());
    }

    private static V2Exception bad(String message) {
        return new V2Exception(HttpStatus.BAD_REQUEST, message);
    }
}
