package io.resnetservice.web;

import io.resnetservice.explain.ExplanationService;
import io.resnetservice.explain.Overlay;
import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.serving.ClassificationService.ImageInput;
import io.resnetservice.serving.MemoryBudget;
import io.resnetservice.serving.ServedVersion;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

/** {@code POST /api/v1/explain}: which regions of each uploaded image the class depends on. */
@RestController
@RequestMapping(path = "/api/v1")
@Tag(name = "Explanation", description = "Show which parts of an image a class depends on")
public class ExplainController {

    private static final String EXPLAIN_DOC = "The same uploads as classify (multipart parts named `image`, or one "
            + "image as the raw body). Per image: the class explained (the top class, or `class`) and a heatmap over "
            + "the whole picture as uploaded (after EXIF orientation): row-major values in [0, 1], cell (r, c) covering "
            + "rows r/R..(r+1)/R and columns c/C..(c+1)/C: how much the class depends on that region, by occlusion "
            + "played both ways (how far the class's log-probability falls when a small window over it is painted "
            + "with the image's background, and how much of the class is left when only a larger window around it "
            + "is shown), each scaled so that its largest is 1, then summed and scaled again. Costs one forward pass "
            + "per cell, one per placement of the kept window (36 at the default grid on a square image), plus one. "
            + "`format=png` answers the image with the heatmap drawn over it (one image per request).";
    private static final String CLASS_DOC = "The class to explain, as an index or a label; default: each image's top class";
    private static final String GRID_DOC = "Cells along the picture's longer side (default resnet.explain.grid, 8)";
    private static final String FORMAT_DOC = "json (default) or png: the image with its heatmap overlaid";

    /** The heatmaps of each uploaded image, in the order they were sent. */
    public record ExplainResponse(
            @Schema(description = "Name of the model that answered") String model,
            @Schema(description = "The version of the model that computed every result") String modelVersion,
            @Schema(description = "How the heatmaps were made", example = "occlusion") String method,
            List<ExplanationService.Explanation> results) {}

    private final ExplanationService explainer;
    private final io.resnetservice.serving.ClassificationService classifier;
    private final Uploads uploads;

    public ExplainController(ExplanationService explainer, io.resnetservice.serving.ClassificationService classifier,
            Uploads uploads) {
        this.explainer = explainer;
        this.classifier = classifier;
        this.uploads = uploads;
    }

    @Operation(summary = "Explain the classes of uploaded images with the default model", description = EXPLAIN_DOC)
    @ClassifyController.ImageBody
    @ApiResponsesDoc.UploadProblems
    @ApiResponse(responseCode = "200", description = "Heatmaps, or with format=png the overlaid image", content = {
        @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = ExplainResponse.class)),
        @Content(mediaType = MediaType.IMAGE_PNG_VALUE, schema = @Schema(type = "string", format = "binary"))})
    @PostMapping(path = "/explain", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    public ResponseEntity<?> explain(
            @Parameter(hidden = true) @RequestPart(name = "image", required = false) List<MultipartFile> image,
            @Parameter(description = CLASS_DOC) @RequestParam(name = "class", required = false) String target,
            @Parameter(description = GRID_DOC) @RequestParam(required = false) Integer grid,
            @Parameter(description = FORMAT_DOC) @RequestParam(defaultValue = "json") String format) {
        return run(uploads.defaultModel(), uploads.parts(image), target, grid, format);
    }

    /** Documented with {@link #explain}. */
    @Operation(hidden = true)
    @PostMapping(path = "/explain", consumes = {"image/*", MediaType.APPLICATION_OCTET_STREAM_VALUE})
    public ResponseEntity<?> explainRaw(HttpServletRequest request,
            @RequestParam(name = "class", required = false) String target,
            @RequestParam(required = false) Integer grid, @RequestParam(defaultValue = "json") String format) {
        return run(uploads.defaultModel(), uploads.raw(request), target, grid, format);
    }

    @Operation(summary = "Explain the classes of uploaded images with the named model", description = EXPLAIN_DOC)
    @ClassifyController.ImageBody
    @ApiResponsesDoc.UploadProblems
    @ApiResponse(responseCode = "200", description = "Heatmaps, or with format=png the overlaid image", content = {
        @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = ExplainResponse.class)),
        @Content(mediaType = MediaType.IMAGE_PNG_VALUE, schema = @Schema(type = "string", format = "binary"))})
    @PostMapping(path = "/models/{name}/explain", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    public ResponseEntity<?> explainWith(
            @Parameter(description = "Model name, as listed by GET /api/v1/models") @PathVariable String name,
            @Parameter(hidden = true) @RequestPart(name = "image", required = false) List<MultipartFile> image,
            @Parameter(description = CLASS_DOC) @RequestParam(name = "class", required = false) String target,
            @Parameter(description = GRID_DOC) @RequestParam(required = false) Integer grid,
            @Parameter(description = FORMAT_DOC) @RequestParam(defaultValue = "json") String format) {
        return run(uploads.model(name, null), uploads.parts(image), target, grid, format);
    }

    /** Documented with {@link #explainWith}. */
    @Operation(hidden = true)
    @PostMapping(path = "/models/{name}/explain", consumes = {"image/*", MediaType.APPLICATION_OCTET_STREAM_VALUE})
    public ResponseEntity<?> explainRawWith(@PathVariable String name, HttpServletRequest request,
            @RequestParam(name = "class", required = false) String target,
            @RequestParam(required = false) Integer grid, @RequestParam(defaultValue = "json") String format) {
        return run(uploads.model(name, null), uploads.raw(request), target, grid, format);
    }

    private ResponseEntity<?> run(ServedVersion.Lease lease, Uploads.Body body, String target, Integer grid,
            String format) {
        try (lease) {
            LoadedModel model = lease.model();
            boolean png = switch (format) {
                case "png" -> true;
                case "json" -> false;
                default -> throw invalid("format must be json or png, was \"" + format + "\"");
            };
            int cells = grid == null ? explainer.settings().grid() : grid;
            if (cells < 1 || cells > explainer.settings().maxGrid()) {
                throw invalid("grid must be between 1 and " + explainer.settings().maxGrid() + ", was " + cells);
            }
            ExplanationService.Target explained;
            try {
                explained = ExplanationService.target(model, target);
            } catch (IllegalArgumentException e) {
                throw invalid(e.getMessage());
            }
            try (MemoryBudget.Lease upload = classifier.reserveUpload(body.bytes())) {
                List<ImageInput> images = body.read();
                if (png) {
                    if (images.size() != 1) {
                        throw invalid("format=png draws one image; this request has " + images.size());
                    }
                    ExplanationService.Drawn drawn = explainer.explainAndKeep(model, images.get(0), explained, cells);
                    byte[] overlay = Overlay.png(drawn.pixels(), drawn.explanation().heatmap());
                    images.forEach(ImageInput::giveBack);
                    return ResponseEntity.ok().contentType(MediaType.IMAGE_PNG).body(overlay);
                }
                ExplainResponse response = new ExplainResponse(model.name(), lease.version(), "occlusion",
                        explainer.explain(model, images, explained, cells));
                images.forEach(ImageInput::giveBack); // answered: the pooled upload bodies go back
                return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(response);
            }
        }
    }

    private static ApiException invalid(String detail) {
        return new ApiException(HttpStatus.BAD_REQUEST, ProblemType.INVALID_PARAMETER, detail);
    }
}
