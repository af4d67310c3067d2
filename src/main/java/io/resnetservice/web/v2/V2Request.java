package io.resnetservice.web.v2;

import io.resnetservice.config.ResnetProperties;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.serving.RawTensors;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.springframework.http.HttpStatus;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An Open Inference Protocol inference request, read and checked against the model's input and the
 * service's limits: one input, either a preprocessed FP32 tensor or a BYTES tensor of image files, in
 * JSON or as binary data ({@link BinaryTensors}); the request id; the outputs asked for (null: every
 * output the model has); the top-k the classification extension asks for (0: plain probabilities); and
 * the outputs to return as binary data.
 */
record V2Request(float[] tensor, int count, List<byte[]> images, String id, int classification,
        java.util.Set<String> outputs, java.util.Set<String> binaryOutputs) {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private V2Request(float[] tensor, int count, List<byte[]> images) {
        this(tensor, count, images, null, 0, null, java.util.Set.of());
    }

    static V2Request parse(byte[] body, ModelSpec.Input in, ResnetProperties.Limits limits, List<String> available) {
        return parse(body, null, in, limits, available);
    }

    /** {@code binary}: the bytes after the JSON header of a binary-data request, else null. */
    static V2Request parse(byte[] body, ByteBuffer binary, ModelSpec.Input in, ResnetProperties.Limits limits,
            List<String> available) {
        JsonNode request;
        try {
            request = JSON.readTree(body);
        } catch (JacksonException e) {
            throw bad("the request body is not valid JSON");
        }
        if (request == null || !request.isObject()) {
            throw bad("the request body must be a JSON object");
        }
        JsonNode inputs = request.get("inputs");
        if (inputs == null || !inputs.isArray() || inputs.size() != 1) {
            throw bad("\"inputs\" must hold exactly one tensor, named \"" + V2Controller.TENSOR_INPUT + "\" (FP32) or \""
                    + V2Controller.IMAGE_INPUT + "\" (BYTES)");
        }
        JsonNode input = inputs.get(0);
        String datatype = text(input, "datatype");
        List<Integer> shape = shape(input);
        ByteBuffer data = binaryData(input, binary);
        V2Request parsed = switch (datatype) {
            case "FP32" -> data == null ? tensor(input, shape, in, limits) : binaryTensor(data, shape, in, limits);
            case "BYTES" -> data == null ? images(input, shape, limits) : binaryImages(data, shape, limits);
            default -> throw bad("datatype " + datatype + " is not accepted: send FP32 (a preprocessed tensor) or BYTES "
                    + "(encoded images)");
        };
        String id = request.hasNonNull("id") ? request.get("id").asString() : null;
        return new V2Request(parsed.tensor, parsed.count, parsed.images, id, requestedClassification(request, available),
                requestedOutputs(request), binaryOutputs(request, available));
    }

    /** The input's binary data, checked against its declared size; null when it is in the JSON. */
    private static ByteBuffer binaryData(JsonNode input, ByteBuffer binary) {
        JsonNode size = input.path("parameters").path(BinaryTensors.SIZE);
        if (size.isMissingNode()) {
            if (binary != null && binary.hasRemaining()) {
                throw bad(binary.remaining() + " bytes follow the JSON header but no input declares parameters."
                        + BinaryTensors.SIZE);
            }
            return null;
        }
        if (binary == null) {
            throw bad("parameters." + BinaryTensors.SIZE + " needs the " + BinaryTensors.HEADER + " header, the length"
                    + " of the JSON that the binary data follows");
        }
        if (!size.canConvertToLong() || size.asLong() < 0) {
            throw bad("parameters." + BinaryTensors.SIZE + " must be a number of bytes, was " + size);
        }
        if (input.has("data")) {
            throw bad("an input with parameters." + BinaryTensors.SIZE + " carries no \"data\"");
        }
        if (size.asLong() != binary.remaining()) {
            throw bad("parameters." + BinaryTensors.SIZE + " is " + size.asLong() + " but " + binary.remaining()
                    + " bytes follow the JSON header");
        }
        return binary;
    }

    private static V2Request binaryTensor(ByteBuffer data, List<Integer> shape, ModelSpec.Input in,
            ResnetProperties.Limits limits) {
        int n = checkFp32Shape(shape, in);
        checkCount(n, limits);
        float[] values = raw(() -> RawTensors.floats(data, (long) n * in.channels() * in.height() * in.width()));
        int nonFinite = RawTensors.firstNonFinite(values);
        if (nonFinite >= 0) {
            throw bad("FP32 input value " + nonFinite + " is " + values[nonFinite] + ": the model takes finite numbers"
                    + " (binary data is little-endian)");
        }
        return new V2Request(values, n, null);
    }

    private static V2Request binaryImages(ByteBuffer data, List<Integer> shape, ResnetProperties.Limits limits) {
        long declared = shape.stream().mapToLong(Integer::longValue).reduce(1, (a, b) -> a * b);
        checkCount((int) Math.min(declared, Integer.MAX_VALUE), limits);
        List<byte[]> images = raw(() -> RawTensors.elements(data, limits.maxImageBytes().toBytes(),
                limits.maxImagesPerRequest()));
        if (images.size() != declared) {
            throw bad("BYTES input shape " + shape + " declares " + declared + " elements but its binary data holds "
                    + images.size());
        }
        return new V2Request(null, images.size(), images);
    }

    private static <T> T raw(java.util.function.Supplier<T> read) {
        try {
            return read.get();
        } catch (RawTensors.MalformedException e) {
            throw new V2Exception(e.tooLarge() ? HttpStatus.CONTENT_TOO_LARGE : HttpStatus.BAD_REQUEST, e.getMessage());
        }
    }

    /**
     * The outputs to send as binary data: those whose {@code parameters.binary_data} is true, or, with the
     * request's {@code parameters.binary_data_output}, every output not marked false.
     */
    private static java.util.Set<String> binaryOutputs(JsonNode request, List<String> available) {
        boolean all = binaryFlag(request.path("parameters").path("binary_data_output"), "binary_data_output");
        java.util.Map<String, Boolean> marked = new java.util.HashMap<>();
        request.path("outputs").forEach(o -> {
            JsonNode flag = o.path("parameters").path("binary_data");
            if (!flag.isMissingNode()) {
                marked.put(o.path("name").asString(""), binaryFlag(flag, "binary_data"));
            }
        });
        java.util.Set<String> binary = new java.util.LinkedHashSet<>();
        for (String name : available) {
            if (marked.getOrDefault(name, all)) {
                binary.add(name);
            }
        }
        return binary;
    }

    private static boolean binaryFlag(JsonNode flag, String name) {
        if (flag.isMissingNode() || flag.isNull()) {
            return false;
        }
        if (!flag.isBoolean()) {
            throw bad("parameters." + name + " must be true or false, was " + flag);
        }
        return flag.asBoolean();
    }

    private static int checkFp32Shape(List<Integer> shape, ModelSpec.Input in) {
        if (shape.size() != 4 || shape.get(1) != in.channels() || shape.get(2) != in.height() || shape.get(3) != in.width()) {
            throw bad("FP32 input shape must be [N, " + in.channels() + ", " + in.height() + ", " + in.width()
                    + "], was " + shape);
        }
        return shape.get(0);
    }

    private static V2Request tensor(JsonNode input, List<Integer> shape, ModelSpec.Input in, ResnetProperties.Limits limits) {
        int n = checkFp32Shape(shape, in);
        checkCount(n, limits);
        long expected = (long) n * in.channels() * in.height() * in.width();
        float[] data = new float[(int) Math.min(expected, Integer.MAX_VALUE - 8)];
        int[] filled = {0};
        JsonNode values = input.get("data");
        if (values == null || !values.isArray()) {
            throw bad("input \"data\" must be an array of numbers");
        }
        flatten(values, data, filled, expected);
        if (filled[0] != expected) {
            throw bad("input data holds " + filled[0] + " values but shape " + shape + " needs " + expected);
        }
        return new V2Request(data, n, null);
    }

    private static void flatten(JsonNode node, float[] out, int[] filled, long expected) {
        for (JsonNode v : node) {
            if (v.isArray()) {
                flatten(v, out, filled, expected);
            } else if (v.isNumber()) {
                if (filled[0] >= expected) {
                    filled[0]++;
                    throw bad("input data holds more values than its shape declares (" + expected + ")");
                }
                out[filled[0]++] = v.floatValue();
            } else {
                throw bad("FP32 input data must be numbers");
            }
        }
    }

    private static V2Request images(JsonNode input, List<Integer> shape, ResnetProperties.Limits limits) {
        JsonNode values = input.get("data");
        if (values == null || !values.isArray()) {
            throw bad("input \"data\" must be an array of base64 strings");
        }
        List<String> encoded = new ArrayList<>();
        collectStrings(values, encoded);
        long declared = shape.stream().mapToLong(Integer::longValue).reduce(1, (a, b) -> a * b);
        if (declared != encoded.size()) {
            throw bad("BYTES input shape " + shape + " declares " + declared + " elements but data holds " + encoded.size());
        }
        checkCount(encoded.size(), limits);
        List<byte[]> images = new ArrayList<>(encoded.size());
        for (int i = 0; i < encoded.size(); i++) {
            byte[] bytes = imageBytes(encoded.get(i));
            if (bytes.length > limits.maxImageBytes().toBytes()) {
                throw new V2Exception(HttpStatus.CONTENT_TOO_LARGE, "image " + i + " is over " + limits.maxImageBytes());
            }
            images.add(bytes);
        }
        return new V2Request(null, images.size(), images);
    }

    /**
     * A BYTES element holds an image file either base64-encoded or raw (each byte a character 0-255, as
     * a JSON string carries binary). Base64 is tried first: an image file is never valid base64, since
     * every format's magic bytes fall outside its alphabet.
     */
    static byte[] imageBytes(String element) {
        try {
            return Base64.getDecoder().decode(element.replaceAll("\\s", ""));
        } catch (IllegalArgumentException notBase64) {
            return element.getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    private static void collectStrings(JsonNode node, List<String> out) {
        for (JsonNode v : node) {
            if (v.isArray()) {
                collectStrings(v, out);
            } else if (v.isString()) {
                out.add(v.asString());
            } else {
                throw bad("BYTES input data must be strings (base64-encoded image files)");
            }
        }
    }

    /** {@code "outputs": [{"name": "probabilities", "parameters": {"classification": k}}]}, or 0. */
    private static int requestedClassification(JsonNode request, List<String> available) {
        JsonNode outputs = request.get("outputs");
        if (outputs == null || outputs.isNull()) {
            return 0;
        }
        if (!outputs.isArray()) {
            throw bad("\"outputs\" must be an array");
        }
        int k = 0;
        for (JsonNode output : outputs) {
            String name = output.path("name").asString("");
            if (!available.contains(name)) {
                throw bad("unknown output \"" + name + "\"; this model has \"" + String.join("\", \"", available) + "\"");
            }
            if (!V2Controller.OUTPUT.equals(name)) {
                continue;
            }
            JsonNode c = output.path("parameters").path("classification");
            if (!c.isMissingNode()) {
                if (!c.canConvertToInt() || c.asInt() < 1) {
                    throw bad("parameters.classification must be a positive integer");
                }
                k = c.asInt();
            }
        }
        return k;
    }

    /** The names in {@code "outputs"}, or null when the request does not list any. */
    private static java.util.Set<String> requestedOutputs(JsonNode request) {
        JsonNode outputs = request.get("outputs");
        if (outputs == null || outputs.isNull()) {
            return null;
        }
        java.util.Set<String> names = new java.util.LinkedHashSet<>();
        outputs.forEach(o -> names.add(o.path("name").asString("")));
        return names;
    }

    private static List<Integer> shape(JsonNode input) {
        JsonNode shape = input.get("shape");
        if (shape == null || !shape.isArray() || shape.isEmpty()) {
            throw bad("input \"shape\" must be a non-empty array of integers");
        }
        List<Integer> dims = new ArrayList<>();
        for (JsonNode d : shape) {
            if (!d.canConvertToInt() || d.asInt() < 1) {
                throw bad("input shape " + shape + " must hold positive integers");
            }
            dims.add(d.asInt());
        }
        return dims;
    }

    private static String text(JsonNode input, String field) {
        JsonNode v = input.get(field);
        if (v == null || !v.isString()) {
            throw bad("input \"" + field + "\" is required");
        }
        return v.asString();
    }

    private static void checkCount(int n, ResnetProperties.Limits limits) {
        if (n > limits.maxImagesPerRequest()) {
            throw new V2Exception(HttpStatus.CONTENT_TOO_LARGE, n + " images in one request; the limit is "
                    + limits.maxImagesPerRequest());
        }
    }

    private static V2Exception bad(String message) {
        return new V2Exception(HttpStatus.BAD_REQUEST, message);
    }
}
