package io.resnetservice.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.repository.VersionStatus;
import io.resnetservice.runtime.LoadedModel;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Locale;
import java.util.Map;

@Schema(description = "A loaded model: what it is, what it takes and where it runs")
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelInfo(
        String name,
        @Schema(description = "The version this description is of: the highest loaded, which unversioned routes use",
                example = "1") String version,
        @Schema(description = "Every version of the model the repository knows, with its state")
                List<VersionStatus> versions,
        @Schema(example = "resnet") String architecture,
        @Schema(example = "18") int depth,
        @Schema(example = "textbook") String variant,
        @Schema(example = "djl") String format,
        @Schema(description = "Trainable parameters", example = "11178378") long parameters,
        @Schema(description = "Input tensor shape per image: channels, height, width", example = "[1, 56, 56]")
                List<Integer> inputShape,
        ModelSpec.Preprocess preprocess,
        @Schema(description = "Temperature scaling of the probabilities; absent when uncalibrated")
                ModelSpec.Calibration calibration,
        @Schema(description = "How results are flagged outOfDistribution; absent for models without fitted statistics")
                ModelSpec.OutOfDistribution outOfDistribution,
        @Schema(description = "Arithmetic of the convolutions: fp32, int8 (post-training quantization) or bf16",
                example = "fp32") String precision,
        @Schema(description = "How an int8 model was quantized; absent for other precisions")
                ModelSpec.Quantization quantization,
        List<String> labels,
        @Schema(example = "cpu()") String device,
        @Schema(description = "SHA-256 of the weights file") String weightsSha256,
        @Schema(description = "Seconds spent building, loading and warming the model") double loadSeconds,
        @Schema(description = "Whether this model answers /api/v1/classify") boolean isDefault,
        @Schema(description = "Training and evaluation figures from the model folder's metrics.json")
                Map<String, Object> metrics) {

    static ModelInfo of(LoadedModel model, String version, List<VersionStatus> versions, boolean isDefault) {
        ModelSpec spec = model.spec();
        return new ModelInfo(spec.name(), version, versions, spec.architecture(), spec.depth(),
                spec.variant() == null ? null : spec.variant().name().toLowerCase(Locale.ROOT),
                spec.format().name().toLowerCase(Locale.ROOT), model.parameterCount(),
                List.of(spec.input().channels(), spec.input().height(), spec.input().width()),
                spec.preprocess(), spec.calibration(), spec.outOfDistribution(), spec.precision().label(),
                spec.quantization(), model.labels(), model.device().toString(), model.weightsSha256(),
                model.loadSeconds(), isDefault, model.folder().metrics());
    }
}
