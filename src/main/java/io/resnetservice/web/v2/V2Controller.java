package io.resnetservice.web.v2;

import io.resnetservice.config.ResnetProperties;
import io.resnetservice.inference.ClassificationService;
import io.resnetservice.inference.LoadedModel;
import io.resnetservice.inference.ModelRegistry;
import io.resnetservice.inference.Prediction;
import io.resnetservice.inference.TopK;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * KServe's Open Inference Protocol (v2) over REST, as Triton and KServe speak it: health, server and
 * model metadata, and inference with either a preprocessed FP32 tensor or a BYTES tensor of encoded
 * images (base64 strings), plus the classification extension.
 */
@RestController
@RequestMapping(path = "/v2", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Open Inference Protocol (v2)", description = "KServe / Triton compatible REST endpoints")
public class V2Controller {

    static final String TENSOR_INPUT = "input";
    static final String IMAGE_INPUT = "image";
    static final String OUTPUT = "probabilities";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final ModelRegistry models;
    private final ClassificationService classifier;
    private final ApplicationAvailability availability;
    private final ResnetProperties.Limits limits;

    public V2Controller(ModelRegistry models, ClassificationService classifier, ApplicationAvailability availability,
            ResnetProperties properties) {
        this.models = models;
        this.classifier = classifier;
        this.availability = availability;
        this.limits = properties.limits();
    }

    @Operation(summary = "Server metadata")
    @GetMapping
    public Map<String, Object> server() {
        return Map.of("name", "resnet-service", "version", version(), "extensions", List.of("classification"));
    }

    @Operation(summary = "Liveness, the same state as /actuator/health/liveness")
    @GetMapping("/health/live")
    public ResponseEntity<Map<String, Boolean>> live() {
        boolean live = availability.getLivenessState() == LivenessState.CORRECT;
        return ResponseEntity.status(live ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).body(Map.of("live", live));
    }

    @Operation(summary = "Readiness, the same state as /actuator/health/readiness")
    @GetMapping("/health/ready")
    public ResponseEntity<Map<String, Boolean>> ready() {
        boolean ready = isReady();
        return ResponseEntity.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).body(Map.of("ready", ready));
    }

    @Operation(summary = "Model metadata: input and output names, datatypes and shapes (-1: any batch size)")
    @GetMapping({"/models/{name}", "/models/{name}/versions/{version}"})
    public Map<String, Object> metadata(@PathVariable String name, @PathVariable(required = false) String version) {
        LoadedModel model = model(name, version);
        var in = model.spec().input();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", model.name());
        body.put("versions", List.of("1"));
        body.put("platform", model.spec().format() == io.resnetservice.model.ModelSpec.Format.TORCHSCRIPT
                ? "pytorch_torchscript" : "djl_pytorch");
        body.put("inputs", List.of(
                tensor(TENSOR_INPUT, "FP32", List.of(-1, in.channels(), in.height(), in.width())),
                tensor(IMAGE_INPUT, "BYTES", List.of(-1))));
        body.put("outputs", List.of(tensor(OUTPUT, "FP32", List.of(-1, model.labels().size()))));
        return body;
    }

    @Operation(summary = "Model readiness")
    @GetMapping({"/models/{name}/ready", "/models/{name}/versions/{version}/ready"})
    public ResponseEntity<Map<String, Object>> modelReady(@PathVariable String name,
            @PathVariable(required = false) String version) {
        LoadedModel model = model(name, version);
        boolean ready = isReady();
        return ResponseEntity.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
                .body(Map.of("name", model.name(), "ready", ready));
    }

    @Operation(summary = "Inference: an FP32 tensor [N,C,H,W] named \"input\", or a BYTES tensor [N] named \"image\" "
            + "of image files, base64-encoded or raw")
    @PostMapping(path = {"/models/{name}/infer", "/models/{name}/versions/{version}/infer"},
            consumes = MediaType.APPLICATION_JSON_VALUE)
    public Map<String, Object> infer(@PathVariable String name, @PathVariable(required = false) String version,
            @RequestBody byte[] body) {
        LoadedModel model = model(name, version);
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
            throw bad("\"inputs\" must hold exactly one tensor, named \"" + TENSOR_INPUT + "\" (FP32) or \""
                    + IMAGE_INPUT + "\" (BYTES)");
        }
        JsonNode input = inputs.get(0);
        String datatype = text(input, "datatype");
        List<Integer> shape = shape(input);
        Batch batch = switch (datatype) {
            case "FP32" -> tensorBatch(model, input, shape);
            case "BYTES" -> imageBatch(model, input, shape);
            default -> throw bad("datatype " + datatype + " is not accepted: send FP32 (a preprocessed tensor) or BYTES "
                    + "(encoded images)");
        };
        float[][] probabilities = classifier.probabilities(model, batch.data(), batch.count());

        Map<String, Object> response = new LinkedHashMap<>();
        response.put("model_name", model.name());
        response.put("model_version", "1");
        if (request.hasNonNull("id")) {
            response.put("id", request.get("id").asString());
        }
        response.put("outputs", List.of(output(model, probabilities, requestedClassification(request))));
        return response;
    }

    private record Batch(float[] data, int count) {}

    private Batch tensorBatch(LoadedModel model, JsonNode input, List<Integer> shape) {
        var in = model.spec().input();
        if (shape.size() != 4 || shape.get(1) != in.channels() || shape.get(2) != in.height() || shape.get(3) != in.width()) {
            throw bad("FP32 input shape must be [N, " + in.channels() + ", " + in.height() + ", " + in.width()
                    + "], was " + shape);
        }
        int n = shape.get(0);
        checkCount(n);
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
        return new Batch(data, n);
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

    private Batch imageBatch(LoadedModel model, JsonNode input, List<Integer> shape) {
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
        checkCount(encoded.size());
        List<byte[]> images = new ArrayList<>(encoded.size());
        for (int i = 0; i < encoded.size(); i++) {
            byte[] bytes = imageBytes(encoded.get(i));
            if (bytes.length > limits.maxImageBytes().toBytes()) {
                throw new V2Exception(HttpStatus.CONTENT_TOO_LARGE, "image " + i + " is over " + limits.maxImageBytes());
            }
            images.add(bytes);
        }
        ClassificationService.Batch prepared = classifier.prepare(model, images);
        return new Batch(prepared.tensor(), prepared.count());
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
            return element.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
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

    private Map<String, Object> output(LoadedModel model, float[][] probabilities, int classification) {
        int n = probabilities.length;
        int classes = model.labels().size();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", OUTPUT);
        if (classification > 0) {
            int k = Math.min(classification, classes);
            List<String> data = new ArrayList<>(n * k);
            for (float[] row : probabilities) {
                for (Prediction p : TopK.of(row, model.labels(), k)) {
                    data.add(String.format(Locale.ROOT, "%f:%d:%s", p.probability(), p.index(), p.label()));
                }
            }
            out.put("datatype", "BYTES");
            out.put("shape", List.of(n, k));
            out.put("data", data);
        } else {
            float[] data = new float[n * classes];
            for (int i = 0; i < n; i++) {
                System.arraycopy(probabilities[i], 0, data, i * classes, classes);
            }
            out.put("datatype", "FP32");
            out.put("shape", List.of(n, classes));
            out.put("data", data);
        }
        return out;
    }

    /** {@code "outputs": [{"name": "probabilities", "parameters": {"classification": k}}]}, or 0. */
    private static int requestedClassification(JsonNode request) {
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
            if (!OUTPUT.equals(name)) {
                throw bad("unknown output \"" + name + "\"; this model has \"" + OUTPUT + "\"");
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

    private void checkCount(int n) {
        if (n > limits.maxImagesPerRequest()) {
            throw new V2Exception(HttpStatus.CONTENT_TOO_LARGE, n + " images in one request; the limit is "
                    + limits.maxImagesPerRequest());
        }
    }

    private LoadedModel model(String name, String version) {
        LoadedModel model = models.find(name)
                .orElseThrow(() -> new V2Exception(HttpStatus.NOT_FOUND, "unknown model \"" + name + "\""));
        if (version != null && !"1".equals(version)) {
            throw new V2Exception(HttpStatus.NOT_FOUND, "model \"" + name + "\" has no version \"" + version + "\"");
        }
        return model;
    }

    private boolean isReady() {
        return availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC;
    }

    private static Map<String, Object> tensor(String name, String datatype, List<Integer> shape) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("name", name);
        t.put("datatype", datatype);
        t.put("shape", shape);
        return t;
    }

    private static V2Exception bad(String message) {
        return new V2Exception(HttpStatus.BAD_REQUEST, message);
    }

    private static String version() {
        String v = V2Controller.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
