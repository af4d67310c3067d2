package io.resnetservice.web.v2;

import io.resnetservice.repository.ModelRepository;
import io.resnetservice.repository.RepositoryException;
import io.resnetservice.repository.VersionStatus;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The Open Inference Protocol's model repository extension (Triton's): the index of model versions on disk,
 * and load/unload by model folder name. It exists only when {@code resnet.security.admin-keys} is set, and
 * every call needs one of those keys ({@code ApiKeyFilter}); names are folder names, never paths or URLs.
 */
@RestController
@Conditional(RepositoryController.AdminKeysSet.class)
@RequestMapping(path = "/v2/repository", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Model repository (v2)", description = "Index, load and unload models; needs an admin key")
public class RepositoryController {

    private final ModelRepository repository;

    public RepositoryController(ModelRepository repository) {
        this.repository = repository;
    }

    @Operation(summary = "Every model version on disk, with its state (READY, LOADING, UNLOADING, UNAVAILABLE)")
    @PostMapping("/index")
    public List<VersionStatus> index() {
        return repository.index();
    }

    @Operation(summary = "Load, or reload where its files changed, the versions of a model folder the version policy wants")
    @PostMapping("/models/{name}/load")
    public Map<String, Object> load(@Parameter(description = "A folder directly under resnet.model-dir")
            @PathVariable String name) {
        repository.load(name);
        return Map.of("name", name, "versions", repository.index().stream().filter(s -> s.name().equals(name)).toList());
    }

    @Operation(summary = "Stop serving every version of a model folder (polling then leaves it alone until a load)")
    @PostMapping("/models/{name}/unload")
    public Map<String, Object> unload(@Parameter(description = "A folder directly under resnet.model-dir")
            @PathVariable String name) {
        repository.unload(name);
        return Map.of("name", name, "versions", repository.index().stream().filter(s -> s.name().equals(name)).toList());
    }

    @ExceptionHandler(RepositoryException.class)
    org.springframework.http.ResponseEntity<Map<String, String>> refused(RepositoryException e) {
        HttpStatus status = switch (e.kind()) {
            case BAD_NAME, LOAD_FAILED -> HttpStatus.BAD_REQUEST;
            case NOT_FOUND -> HttpStatus.NOT_FOUND;
        };
        return org.springframework.http.ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON)
                .body(Map.of("error", e.getMessage()));
    }

    /** True where at least one non-blank admin key is configured. */
    static final class AdminKeysSet implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return Binder.get(context.getEnvironment())
                    .bind("resnet.security.admin-keys", Bindable.listOf(String.class))
                    .map(keys -> keys.stream().anyMatch(k -> !k.isBlank()))
                    .orElse(false);
        }
    }
}
