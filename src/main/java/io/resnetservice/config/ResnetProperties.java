package io.resnetservice.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Every knob of the service, under {@code resnet.*}. Defaults and their reasons are documented in
 * {@code application.yaml}.
 *
 * @param device {@code auto} (GPU when the engine sees one), {@code cpu}, {@code gpu} or {@code gpu:N}
 * @param modelDir a folder of model folders; empty means the model embedded in the application
 * @param defaultModel the model behind {@code /api/v1/classify}; may be empty when only one is loaded
 */
@Validated
@ConfigurationProperties("resnet")
public record ResnetProperties(
        @DefaultValue("auto") @Pattern(regexp = "auto|cpu|gpu(:\\d+)?", message = "must be auto, cpu, gpu or gpu:N")
                String device,
        Path modelDir,
        String defaultModel,
        @DefaultValue @Valid @NotNull Limits limits) {

    /**
     * @param maxImageBytes largest single image accepted
     * @param maxRequestBytes largest request body accepted
     * @param maxPixels largest width x height decoded; checked from the image header before any pixel
     *     memory is allocated
     * @param maxImagesPerRequest most images in one request
     */
    public record Limits(
            @DefaultValue("10MB") @NotNull DataSize maxImageBytes,
            @DefaultValue("50MB") @NotNull DataSize maxRequestBytes,
            @DefaultValue("40000000") @Min(1) long maxPixels,
            @DefaultValue("32") @Min(1) int maxImagesPerRequest) {}
}
