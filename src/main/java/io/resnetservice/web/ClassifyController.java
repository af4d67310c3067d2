package io.resnetservice.web;

import io.micrometer.core.instrument.Timer;
import io.resnetservice.config.ResnetProperties;
import io.resnetservice.image.ImageException;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.serving.BatchingExecutor;
import io.resnetservice.serving.ClassificationService.ImageInput;
import io.resnetservice.serving.ClassificationService;
import io.resnetservice.serving.InferenceMetrics;
import io.resnetservice.serving.MemoryBudget;
import io.resnetservice.serving.ModelRegistry;
import io.resnetservice.serving.ModelVersions;
import io.resnetservice.serving.ServedVersion;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

/** {@code POST /api/v1/classify} and its per-model twin, as multipart uploads or a raw image body. */
@RestController
@RequestMapping(path = "/api/v1", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Classification", description = "Classify images with a ResNet")
public class ClassifyController {

    private static final String CLASSIFY_DOC = "Send one or more files as multipart parts named `image`, or one image "
            + "as the raw body (`Content-Type: image/*` or `application/octet-stream`). Each image is decoded (JPEG, "
            + "PNG, GIF, BMP, WebP; EXIF orientation applied), preprocessed as the model's model.json says, and "
            + "answered with its topK classes and their softmax probabilities.";

    /** The three ways to send images, as one OpenAPI request body. */
    @Target(ElementType.METHOD)
    @Retention(RetentionPolicy.RUNTIME)
    @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
        @Content(mediaType = MediaType.MULTIPART_FORM_DATA_VALUE, schema = @Schema(implementation = ImageUpload.class)),
        @Content(mediaType = "image/*", schema = @Schema(type = "string", format = "binary")),
        @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE, schema = @Schema(type = "string", format = "binary"))
    })
    @interface ImageBody {}

    /** The multipart form as OpenAPI shows it: a file picker (repeat the part for more images). */
    @Schema(name = "ImageUpload")
    record ImageUpload(
            @Schema(type = "string", format = "binary", requiredMode = Schema.RequiredMode.REQUIRED,
                    description = "An image file (JPEG, PNG, GIF, BMP, WebP). Send several parts named image to "
                            + "classify several images in one request.")
                    byte[] image) {}

    private static final String TOP_K_DOC = "How many classes to return per image, 1 to the number of classes";

    private final ModelRegistry models;
    private final ClassificationService classifier;
    private final InferenceMetrics metrics;
    private final ResnetProperties.Limits limits;

    public ClassifyController(ModelRegistry models, ClassificationService classifier, InferenceMetrics metrics,
            ResnetProperties properties) {
        this.models = models;
        this.classifier = classifier;
        this.metrics = metrics;
        this.limits = properties.limits();
    }

    @Operation(summary = "Classify uploaded images with the default model", description = CLASSIFY_DOC)
    @ImageBody
    @ApiResponsesDoc.ClassifyProblems
    @PostMapping(path = "/classify", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    public ClassifyResponse classify(
            @Parameter(hidden = true) @RequestPart(name = "image", required = false) List<MultipartFile> image,
            @Parameter(description = TOP_K_DOC) @RequestParam(defaultValue = "5") int topK) {
        return run(defaultModel(), parts(image), topK);
    }

    /** Documented with {@link #classify}: OpenAPI holds one operation per path and method. */
    @Operation(hidden = true)
    @PostMapping(path = "/classify", consumes = {"image/*", MediaType.APPLICATION_OCTET_STREAM_VALUE})
    public ClassifyResponse classifyRaw(HttpServletRequest request,
            @Parameter(description = TOP_K_DOC) @RequestParam(defaultValue = "5") int topK) {
        return run(defaultModel(), raw(request), topK);
    }

    @Operation(summary = "Classify uploaded images with the named model", description = CLASSIFY_DOC)
    @ImageBody
    @ApiResponsesDoc.ClassifyProblems
    @PostMapping(path = "/models/{name}/classify", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    public ClassifyResponse classifyWith(
            @Parameter(description = "Model name, as listed by GET /api/v1/models") @PathVariable String name,
            @Parameter(hidden = true) @RequestPart(name = "image", required = false) List<MultipartFile> image,
            @Parameter(description = TOP_K_DOC) @RequestParam(defaultValue = "5") int topK) {
        return run(model(name, null), parts(image), topK);
    }

    /** Documented with {@link #classifyWith}. */
    @Operation(hidden = true)
    @PostMapping(path = "/models/{name}/classify", consumes = {"image/*", MediaType.APPLICATION_OCTET_STREAM_VALUE})
    public ClassifyResponse classifyRawWith(
            @Parameter(description = "Model name, as listed by GET /api/v1/models") @PathVariable String name,
            HttpServletRequest request,
            @Parameter(description = TOP_K_DOC) @RequestParam(defaultValue = "5") int topK) {
        return run(model(name, null), raw(request), topK);
    }

    @Operation(summary = "Classify uploaded images with one version of the named model", description = CLASSIFY_DOC)
    @ImageBody
    @ApiResponsesDoc.ClassifyProblems
    @PostMapping(path = "/models/{name}/versions/{version}/classify", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    public ClassifyResponse classifyWithVersion(
            @Parameter(description = "Model name, as listed by GET /api/v1/models") @PathVariable String name,
            @Parameter(description = "A loaded version, as listed by GET /api/v1/models/{name}") @PathVariable
                    String version,
            @Parameter(hidden = true) @RequestPart(name = "image", required = false) List<MultipartFile> image,
            @Parameter(description = TOP_K_DOC) @RequestParam(defaultValue = "5") int topK) {
        return run(model(name, version), parts(image), topK);
    }

    /** Documented with {@link #classifyWithVersion}. */
    @Operation(hidden = true)
    @PostMapping(path = "/models/{name}/versions/{version}/classify",
            consumes = {"image/*", MediaType.APPLICATION_OCTET_STREAM_VALUE})
    public ClassifyResponse classifyRawWithVersion(@PathVariable String name, @PathVariable String version,
            HttpServletRequest request,
            @Parameter(description = TOP_K_DOC) @RequestParam(defaultValue = "5") int topK) {
        return run(model(name, version), raw(request), topK);
    }

    /** The default model's highest version, held for this request; 503 while it has none loaded. */
    private ServedVersion.Lease defaultModel() {
        String name = models.defaultName();
        return models.acquire(name).orElseThrow(() -> new ApiException(HttpStatus.SERVICE_UNAVAILABLE,
                ProblemType.MODEL_NOT_READY, "the default model \"" + name + "\" has no loaded version"));
    }

    /** That version of the model (null: its highest), held for this request; 404 where it is not loaded. */
    private ServedVersion.Lease model(String name, String version) {
        Long number = version == null ? null : ModelVersions.parse(version);
        if (version != null && number == null) {
            throw new ApiException(HttpStatus.NOT_FOUND, ProblemType.UNKNOWN_MODEL,
                    "model versions are positive integers, not \"" + version + "\"");
        }
        return models.acquire(name, number).orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND,
                ProblemType.UNKNOWN_MODEL, version == null ? "no model named \"" + name + "\" is loaded"
                        : "model \"" + name + "\" has no loaded version " + version));
    }

    /** A request body: how much memory reading it may take (known before any byte is read), then its images. */
    private interface Body {
        long bytes();

        List<ImageInput> read();
    }

    private ClassifyResponse run(ServedVersion.Lease lease, Body body, int topK) {
        LoadedModel model = lease.model();
        Timer.Sample sample = Timer.start();
        String outcome = "server_error";
        try (lease) {
            int classes = model.labels().size();
            if (topK < 1 || topK > classes) {
                throw new ApiException(HttpStatus.BAD_REQUEST, ProblemType.INVALID_PARAMETER,
                        "topK must be between 1 and " + classes + ", was " + topK);
            }
            try (MemoryBudget.Lease upload = classifier.reserveUpload(body.bytes())) {
                List<ImageInput> images = body.read();
                ClassifyResponse response = new ClassifyResponse(model.name(), lease.version(),
                        classifier.classify(model, images, topK));
                outcome = "success";
                return response;
            }
        } catch (ApiException | ImageException e) {
            outcome = "client_error";
            throw e;
        } catch (BatchingExecutor.OverloadedException e) {
            outcome = "rejected";
            throw e;
        } finally {
            sample.stop(metrics.requests(model.name(), outcome));
        }
    }

    /** Parts already received (small ones in memory, the rest on disk): their total size, then their bytes. */
    private Body parts(List<MultipartFile> parts) {
        return new Body() {
            @Override
            public long bytes() {
                if (parts == null || parts.isEmpty()) {
                    throw new ApiException(HttpStatus.BAD_REQUEST, ProblemType.NO_IMAGE,
                            "send the images as multipart parts named \"image\"");
                }
                checkCount(parts.size());
                long total = 0;
                for (MultipartFile part : parts) {
                    if (part.getSize() > limits.maxImageBytes().toBytes()) {
                        throw tooLarge(ProblemType.IMAGE_TOO_LARGE, "an image is over " + limits.maxImageBytes());
                    }
                    total += part.getSize();
                }
                return total;
            }

            @Override
            public List<ImageInput> read() {
                return fromParts(parts);
            }
        };
    }

    /** A raw body: its declared length (the image limit when it declares none), then at most that many bytes. */
    private Body raw(HttpServletRequest request) {
        return new Body() {
            @Override
            public long bytes() {
                long limit = limits.maxImageBytes().toBytes();
                long declared = request.getContentLengthLong();
                if (declared > limit) {
                    throw tooLarge(ProblemType.IMAGE_TOO_LARGE, "the image is over " + limits.maxImageBytes());
                }
                return declared >= 0 ? declared : limit;
            }

            @Override
            public List<ImageInput> read() {
                return fromBody(request);
            }
        };
    }

    private List<ImageInput> fromParts(List<MultipartFile> parts) {
        List<ImageInput> images = new ArrayList<>(parts.size());
        for (MultipartFile part : parts) {
            try {
                images.add(new ImageInput(part.getOriginalFilename(), part.getBytes()));
            } catch (IOException e) {
                throw new ApiException(HttpStatus.BAD_REQUEST, ProblemType.MALFORMED_REQUEST, "an image part cannot be read");
            }
        }
        return images;
    }

    /** Reads a raw body without ever holding more than the image limit plus one byte. */
    private List<ImageInput> fromBody(HttpServletRequest request) {
        long limit = limits.maxImageBytes().toBytes();
        try (InputStream in = request.getInputStream()) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (bytes.length > limit) {
                throw tooLarge(ProblemType.IMAGE_TOO_LARGE, "the image is over " + limits.maxImageBytes());
            }
            if (bytes.length == 0) {
                throw new ApiException(HttpStatus.BAD_REQUEST, ProblemType.NO_IMAGE, "the request body is empty");
            }
            return List.of(new ImageInput(null, bytes));
        } catch (IOException e) {
            throw new ApiException(HttpStatus.BAD_REQUEST, ProblemType.MALFORMED_REQUEST, "the request body cannot be read");
        }
    }

    private void checkCount(int count) {
        if (count > limits.maxImagesPerRequest()) {
            throw tooLarge(ProblemType.TOO_MANY_IMAGES,
                    count + " images in one request; the limit is " + limits.maxImagesPerRequest());
        }
    }

    private static ApiException tooLarge(ProblemType type, String detail) {
        return new ApiException(HttpStatus.CONTENT_TOO_LARGE, type, detail);
    }
}
