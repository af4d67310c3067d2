package io.resnetservice.web;

import io.resnetservice.runtime.LoadedModel;
import io.resnetservice.serving.ModelRegistry;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** What models the service holds. */
@RestController
@RequestMapping(path = "/api/v1/models", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Models", description = "The loaded models")
public class ModelsController {

    private final ModelRegistry models;

    public ModelsController(ModelRegistry models) {
        this.models = models;
    }

    @Operation(summary = "List the loaded models")
    @GetMapping
    public List<ModelInfo> list() {
        return models.all().stream().map(this::info).toList();
    }

    @Operation(summary = "Describe one model")
    @ApiResponse(responseCode = "200", description = "The model")
    @ApiResponse(responseCode = "404", description = "Unknown model",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @GetMapping("/{name}")
    public ModelInfo get(@PathVariable String name) {
        return models.find(name).map(this::info).orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND,
                ProblemType.UNKNOWN_MODEL, "no model named \"" + name + "\""));
    }

    private ModelInfo info(LoadedModel model) {
        return ModelInfo.of(model, model == models.defaultModel());
    }
}
