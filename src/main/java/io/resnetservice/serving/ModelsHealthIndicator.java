package io.resnetservice.serving;

import io.resnetservice.runtime.LoadedModel;
import java.util.Map;
import java.util.stream.Collectors;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Part of the readiness group: lists the loaded models and their devices. Models load and warm up while
 * the application starts, so this bean exists only once they can answer; DOWN only while the default
 * model has no loaded version (a swap keeps it UP: the old version serves until the new one does).
 */
@Component("models")
public class ModelsHealthIndicator implements HealthIndicator {

    private final ModelRegistry registry;

    public ModelsHealthIndicator(ModelRegistry registry) {
        this.registry = registry;
    }

    @Override
    public Health health() {
        Map<String, String> models = registry.all().stream()
                .collect(Collectors.toMap(LoadedModel::name, m -> m.device().toString()));
        Health.Builder health = registry.defaultServed() ? Health.up()
                : Health.down().withDetail("reason", "the default model " + registry.defaultName() + " has no loaded version");
        return health.withDetail("models", models).build();
    }
}
