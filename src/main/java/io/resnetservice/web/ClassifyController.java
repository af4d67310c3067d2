package io.resnetservice.web;

import io.micrometer.core.instrument.Timer;
import io.resnetservice.image.ImageException;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.serving.BatchingExecutor;
import io.resnetservice.serving.ClassificationService.ImageInput;
import io.resnetservice.serving.ClassificationService;
import io.resnetservice.serving.InferenceMetrics;
import io.resnetservice.serving.MemoryBudget;
import io.resnetservice.serving.ServedVersion;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
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

    private final ClassificationService classifier;
    private final InferenceMetrics metrics;
    private final Uploads uploads;

    public ClassifyController(ClassificationService classifier, InferenceMetrics metrics, Uploads uploads) {
        this.classifier = classifier;
        this.metrics = metrics;
        this.uploads = uploads;
    }

    @Operation(summary = "Classify uploaded images with the default model", description = CLASSIFY_DOC)
    @ImageBody
    @ApiResponsesDoc.UploadProblems
    @ApiResponse(responseCode = "200", description = "The classes of each image",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ClassifyResponse.class)))
    @PostMapping(path = "/classify", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    public ClassifyResponse classify(
            @Parameter(hidden = true) @RequestPart(name = "image", required = false) List<MultipartFile> image,
            @Parameter(description = TOP_K_DOC) @RequestParam(defaultValue = "5") int topK) {
        return run(uploads.defaultModel(), uploads.parts(image), topK);
    }

    /** Documented with {@link #classify}: OpenAPI holds one operation per path and method. */
    @Operation(hidden = true)
    @PostMapping(path = "/classify", consumes = {"image/*", MediaType.APPLICATION_OCTET_STREAM_VALUE})
    public ClassifyResponse classifyRaw(HttpServletRequest request,
            @Parameter(description = TOP_K_DOC) @RequestParam(defaultValue = "5") int topK) {
        return run(uploads.defaultModel(), uploads.raw(request), topK);
    }

    @Operation(summary = "Classify uploaded images with the named model", description = CLASSIFY_DOC)
    @ImageBody
    @ApiResponsesDoc.UploadProblems
    @ApiResponse(responseCode = "200", description = "The classes of each image",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ClassifyResponse.class)))
    @PostMapping(path = "/models/{name}/classify", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    public ClassifyResponse classifyWith(
            @Parameter(description = "Model name, as listed by GET /api/v1/models") @PathVariable String name,
            @Parameter(hidden = true) @RequestPart(name = "image", required = false) List<MultipartFile> image,
            @Parameter(description = TOP_K_DOC) @RequestParam(defaultValue = "5") int topK) {
        return run(uploads.model(name, null), uploads.parts(image), topK);
    }

    /** Documented with {@link #classifyWith}. */
    @Operation(hidden = true)
    @PostMapping(path = "/models/{name}/classify", consumes = {"image/*", MediaType.APPLICATION_OCTET_STREAM_VALUE})
    public ClassifyResponse classifyRawWith(
            @Parameter(description = "Model name, as listed by GET /api/v1/models") @PathVariable String name,
            HttpServletRequest request,
            @Parameter(description = TOP_K_DOC) @RequestParam(defaultValue = "5") int topK) {
        return run(uploads.model(name, null), uploads.raw(request), topK);
    }

    @Operation(summary = "Classify uploaded images with one version of the named model", description = CLASSIFY_DOC)
    @ImageBody
    @ApiResponsesDoc.UploadProblems
    @ApiResponse(responseCode = "200", description = "The classes of each image",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ClassifyResponse.class)))
    @PostMapping(path = "/models/{name}/versions/{version}/classify", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    public ClassifyResponse classifyWithVersion(
            @Parameter(description = "Model name, as listed by GET /api/v1/models") @PathVariable String name,
            @Parameter(description = "A loaded version, as listed by GET /api/v1/models/{name}") @PathVariable
                    String version,
            @Parameter(hidden = true) @RequestPart(name = "image", required = false) List<MultipartFile> image,
            @Parameter(description = TOP_K_DOC) @RequestParam(defaultValue = "5") int topK) {
        return run(uploads.model(name, version), uploads.parts(image), topK);
    }

    /** Documented with {@link #classifyWithVersion}. */
    @Operation(hidden = true)
    @PostMapping(path = "/models/{name}/versions/{version}/classify",
            consumes = {"image/*", MediaType.APPLICATION_OCTET_STREAM_VALUE})
    public ClassifyResponse classifyRawWithVersion(@PathVariable String name, @PathVariable String version,
            HttpServletRequest request,
            @Parameter(description = TOP_K_DOC) @RequestParam(defaultValue = "5") int topK) {
        return run(uploads.model(name, version), uploads.raw(request), topK);
    }

    private ClassifyResponse run(ServedVersion.Lease lease, Uploads.Body body, int topK) {
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
                images.forEach(ImageInput::giveBack);
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

}
