package io.resnetservice.web;

import io.resnetservice.repository.ModelRepository;
import io.resnetservice.serving.ModelRegistry;
import io.resnetservice.serving.ServedVersion;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** What models the service holds: each one's highest loaded version, and the states of all its versions. */
@RestController
@RequestMapping(path = "/api/v1/models", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Models", description = "The loaded models")
public class ModelsController {

    private final ModelRegistry models;
    private final ModelRepository repository;

    public ModelsController(ModelRegistry models, ModelRepository repository) {
        this.models = models;
        this.repository = repository;
    }

    @Operation(summary = "List the loaded models")
    @GetMapping
    public List<ModelInfo> list() {
        return models.names().stream().map(this::info).flatMap(Optional::stream).toList();
    }

    @Operation(summary = "Describe one model")
    @ApiResponse(responseCode = "200", description = "The model")
    @ApiResponse(responseCode = "404", description = "Unknown model",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @GetMapping("/{name}")
    public ModelInfo get(@PathVariable String name) {
        return info(name).orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND,
                ProblemType.UNKNOWN_MODEL, "no model named \"" + name + "\" is loaded"));
    }

    private Optional<ModelInfo> info(String name) {
        return models.acquire(name).map(lease -> {
            try (ServedVersion.Lease held = lease) {
                return ModelInfo.of(held.model(), held.version(), repository.versionsOf(name),
                        name.equals(models.defaultName()));
            }
        });
    }
}
