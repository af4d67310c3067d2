package io.resnetservice.web.v2;

import io.resnetservice.buffers.ArrayPool;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.runtime.Outputs;
import io.resnetservice.serving.ClassificationService;
import io.resnetservice.serving.MemoryBudget;
import io.resnetservice.serving.OpenInference;
import io.resnetservice.serving.ModelRegistry;
import io.resnetservice.serving.ModelVersions;
import io.resnetservice.serving.ServedVersion;
import io.swagger.v3.oas.annotations.Hidden;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;

/**
 * KServe's Open Inference Protocol (v2) over REST, as Triton and KServe speak it: health, server and
 * model metadata, and inference with either a preprocessed FP32 tensor or a BYTES tensor of encoded
 * images (base64 strings), plus the classification and binary tensor data extensions.
 */
@RestController
@RequestMapping(path = "/v2", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Open Inference Protocol (v2)", description = "KServe / Triton compatible REST endpoints")
public class V2Controller {

    static final String TENSOR_INPUT = OpenInference.TENSOR_INPUT;
    static final String IMAGE_INPUT = OpenInference.IMAGE_INPUT;
    static final String OUTPUT = OpenInference.OUTPUT;
    static final String OOD_SCORE_OUTPUT = OpenInference.OOD_SCORE_OUTPUT;
    static final String OOD_OUTPUT = OpenInference.OOD_OUTPUT;

    private final ModelRegistry models;
    private final ClassificationService classifier;
    private final ApplicationAvailability availability;
    private final ResnetProperties.Limits limits;
    private final boolean repositoryOpen;
    private final JsonMapper json;

    public V2Controller(ModelRegistry models, ClassificationService classifier, ApplicationAvailability availability,
            ResnetProperties properties, JsonMapper json) {
        this.json = json;
        this.models = models;
        this.classifier = classifier;
        this.availability = availability;
        this.limits = properties.limits();
        this.repositoryOpen = !properties.security().effectiveAdminKeys().isEmpty();
    }

    @Operation(summary = "Server metadata")
    @GetMapping
    public Map<String, Object> server() {
        return Map.of("name", OpenInference.SERVER_NAME, "version", OpenInference.serverVersion(),
                "extensions", extensions());
    }

    private List<String> extensions() {
        List<String> extensions = new ArrayList<>(OpenInference.extensions(repositoryOpen));
        extensions.add(BinaryTensors.EXTENSION);
        return extensions;
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
        try (ServedVersion.Lease lease = model(name, version)) {
            return metadata(lease);
        }
    }

    private Map<String, Object> metadata(ServedVersion.Lease lease) {
        LoadedModel model = lease.model();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", model.name());
        body.put("versions", models.versions(model.name()).stream().map(v -> Long.toString(v.version())).toList());
        body.put("platform", OpenInference.platform(model));
        body.put("inputs", OpenInference.inputs(model).stream().map(V2Controller::tensor).toList());
        body.put("outputs", OpenInference.outputs(model).stream().map(V2Controller::tensor).toList());
        return body;
    }

    @Operation(summary = "Model readiness")
    @GetMapping({"/models/{name}/ready", "/models/{name}/versions/{version}/ready"})
    public ResponseEntity<Map<String, Object>> modelReady(@PathVariable String name,
            @PathVariable(required = false) String version) {
        try (ServedVersion.Lease lease = model(name, version)) {
            boolean ready = isReady();
            return ResponseEntity.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
                    .body(Map.of("name", lease.model().name(), "ready", ready));
        }
    }

    @Operation(summary = "Inference: an FP32 tensor [N,C,H,W] named \"input\", or a BYTES tensor [N] named \"image\" "
            + "of image files, base64-encoded or raw")
    @PostMapping(path = {"/models/{name}/infer", "/models/{name}/versions/{version}/infer"},
            consumes = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> infer(@PathVariable String name, @PathVariable(required = false) String version,
            @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, description = "An inference"
                    + " request of the Open Inference Protocol (JSON), at most resnet.limits.max-request-bytes",
                    content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE)) HttpServletRequest http) {
        try (ServedVersion.Lease lease = model(name, version)) {
            return infer(lease, http, http.getHeader(BinaryTensors.HEADER));
        }
    }

    /**
     * The same inference with Triton's binary tensor data extension: a JSON header of
     * {@code Inference-Header-Content-Length} bytes, then the inputs' bytes, whatever the content type
     * (clients send application/octet-stream, or none). Documented in docs/ rather than in the OpenAPI
     * contract; without that header, any content type but JSON is still a 415.
     */
    @Hidden
    @PostMapping(path = {"/models/{name}/infer", "/models/{name}/versions/{version}/infer"},
            produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.APPLICATION_OCTET_STREAM_VALUE})
    public ResponseEntity<Map<String, Object>> inferBinary(@PathVariable String name, @PathVariable(required = false) String version,
            HttpServletRequest http) {
        String headerLength = http.getHeader(BinaryTensors.HEADER);
        if (headerLength == null) {
            throw new V2Exception(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "send the inference request as application/json,"
                    + " or as binary tensor data with " + BinaryTensors.HEADER);
        }
        try (ServedVersion.Lease lease = model(name, version)) {
            return infer(lease, http, headerLength);
        }
    }

    private ResponseEntity<Map<String, Object>> infer(ServedVersion.Lease lease, HttpServletRequest http, String headerLength) {
        LoadedModel model = lease.model();
        List<String> available = outputNames(model);
        long limit = limits.maxRequestBytes().toBytes();
        long declared = http.getContentLengthLong();
        if (declared > limit) {
            throw new V2Exception(HttpStatus.CONTENT_TOO_LARGE, "the request is over " + limits.maxRequestBytes());
        }
        V2Request request;
        Batch batch;
        try (MemoryBudget.Lease upload = classifier.reserveUpload(declared >= 0 ? declared : limit)) {
            byte[] body = body(http, limit);
            if (headerLength == null) {
                request = V2Request.parse(body, model.spec().input(), limits, available);
            } else {
                BinaryTensors.Body split = BinaryTensors.split(body, headerLength);
                request = V2Request.parse(split.json(), split.binary(), model.spec().input(), limits, available);
            }
            batch = request.images() != null
                    ? prepared(classifier.prepare(model, request.images()))
                    : new Batch(request.tensor(), request.count());
        }
        Outputs outputs = classifier.outputs(model, batch.data(), batch.count());
        if (request.images() != null) {
            ArrayPool.SHARED.giveBack(batch.data()); // the pooled tensor of decoded images, now answered
        }

        Map<String, Object> response = new LinkedHashMap<>();
        response.put("model_name", model.name());
        response.put("model_version", lease.version());
        if (request.id() != null) {
            response.put("id", request.id());
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (String output : available) {
            if (request.outputs() != null && !request.outputs().contains(output)) {
                continue;
            }
            out.add(switch (output) {
                case OUTPUT -> output(model, outputs.probabilities(), request.classification());
                case OOD_SCORE_OUTPUT -> oodScores(outputs.oodScores());
                default -> outOfDistribution(OpenInference.outOfDistribution(model, outputs.oodScores()));
            });
        }
        response.put("outputs", out);
        if (request.binaryOutputs().stream().noneMatch(o -> request.outputs() == null || request.outputs().contains(o))) {
            return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(response);
        }
        BinaryTensors.Response binary = BinaryTensors.encode(response, request.binaryOutputs());
        byte[] header = json.writeValueAsBytes(binary.header());
        byte[] body = new byte[header.length + binary.binary().length];
        System.arraycopy(header, 0, body, 0, header.length);
        System.arraycopy(binary.binary(), 0, body, header.length, binary.binary().length);
        return asDeclared(ResponseEntity.ok().contentType(MediaType.APPLICATION_OCTET_STREAM)
                .header(BinaryTensors.HEADER, Integer.toString(header.length)).body(body));
    }

    /**
     * A binary response is the same map, written as a JSON header followed by the outputs' bytes; the
     * declared body type stays the JSON form's, as the OpenAPI contract describes it. Spring picks the
     * converter by the body's real class (byte[]).
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static ResponseEntity<Map<String, Object>> asDeclared(ResponseEntity<byte[]> binary) {
        return (ResponseEntity) binary;
    }

    /** The body, never holding more than {@code limit} bytes plus one. */
    private byte[] body(HttpServletRequest http, long limit) {
        try (InputStream in = http.getInputStream()) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (bytes.length > limit) {
                throw new V2Exception(HttpStatus.CONTENT_TOO_LARGE, "the request is over " + limits.maxRequestBytes());
            }
            return bytes;
        } catch (IOException e) {
            throw new V2Exception(HttpStatus.BAD_REQUEST, "the request body cannot be read");
        }
    }

    static List<String> outputNames(LoadedModel model) {
        return OpenInference.outputNames(model);
    }

    private static Map<String, Object> oodScores(float[] scores) {
        Map<String, Object> out = tensor(OOD_SCORE_OUTPUT, "FP32", List.of(scores.length));
        out.put("data", scores);
        return out;
    }

    private static Map<String, Object> outOfDistribution(boolean[] flags) {
        Map<String, Object> out = tensor(OOD_OUTPUT, "BOOL", List.of(flags.length));
        out.put("data", flags);
        return out;
    }

    private record Batch(float[] data, int count) {}

    private static Batch prepared(ClassificationService.Batch prepared) {
        return new Batch(prepared.tensor(), prepared.count());
    }

    private Map<String, Object> output(LoadedModel model, float[][] probabilities, int classification) {
        int n = probabilities.length;
        int classes = model.labels().size();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", OUTPUT);
        if (classification > 0) {
            int k = Math.min(classification, classes);
            List<String> data = OpenInference.classification(model, probabilities, k);
            out.put("datatype", "BYTES");
            out.put("shape", List.of(n, k));
            out.put("data", data);
        } else {
            float[] data = OpenInference.flatten(probabilities, classes);
            out.put("datatype", "FP32");
            out.put("shape", List.of(n, classes));
            out.put("data", data);
        }
        return out;
    }

    /** That version of the model (null: its highest), held for this request. */
    private ServedVersion.Lease model(String name, String version) {
        Long number = version == null ? null : ModelVersions.parse(version);
        if (version != null && number == null) {
            throw new V2Exception(HttpStatus.NOT_FOUND, "model \"" + name + "\" has no version \"" + version + "\"");
        }
        return models.acquire(name, number).orElseThrow(() -> new V2Exception(HttpStatus.NOT_FOUND,
                version == null ? "unknown model \"" + name + "\""
                        : "model \"" + name + "\" has no loaded version \"" + version + "\""));
    }

    private boolean isReady() {
        return availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC;
    }

    private static Map<String, Object> tensor(OpenInference.Tensor t) {
        return tensor(t.name(), t.datatype(), t.shape());
    }

    private static Map<String, Object> tensor(String name, String datatype, List<Integer> shape) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("name", name);
        t.put("datatype", datatype);
        t.put("shape", shape);
        return t;
    }
}
