package io.resnetservice.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Objects;

/**
 * The contents of a model folder's {@code model.json}: what network to build, which files hold its
 * weights and labels, and how an uploaded image becomes its input tensor.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelSpec(
        String name,
        String architecture,
        int depth,
        ResNetVariant variant,
        Format format,
        String weights,
        String labels,
        Input input,
        Preprocess preprocess,
        Calibration calibration,
        OutOfDistribution outOfDistribution,
        Precision precision,
        Quantization quantization) {

    public static final String FILE_NAME = "model.json";

    public ModelSpec {
        Objects.requireNonNull(name, "model.json: name is required");
        architecture = architecture == null ? "resnet" : architecture;
        if (!"resnet".equals(architecture)) {
            throw new IllegalArgumentException("model.json: architecture must be \"resnet\", was \"" + architecture + '"');
        }
        format = format == null ? Format.DJL : format;
        if (format != Format.TORCHSCRIPT) {
            Objects.requireNonNull(variant, "model.json: variant (textbook or torchvision) is required");
            ResNetArchitecture.ofDepth(depth);
        }
        if (format == Format.TORCHVISION_NPZ && variant != ResNetVariant.TORCHVISION) {
            throw new IllegalArgumentException("model.json: torchvision-npz weights need variant \"torchvision\"");
        }
        Objects.requireNonNull(weights, "model.json: weights (the file name of the weights) is required");
        labels = labels == null ? "labels.txt" : labels;
        Objects.requireNonNull(input, "model.json: input {channels, height, width} is required");
        Objects.requireNonNull(preprocess, "model.json: preprocess is required");
        if (preprocess.mean().size() != input.channels() || preprocess.std().size() != input.channels()) {
            throw new IllegalArgumentException("model.json: preprocess.mean and preprocess.std need one value per input channel");
        }
        precision = precision == null ? Precision.FP32 : precision;
        if (precision != Precision.FP32 && format == Format.TORCHSCRIPT) {
            throw new IllegalArgumentException("model.json: precision " + precision.label()
                    + " needs one of this project's ResNets; a TorchScript module runs as it was saved");
        }
        if (precision == Precision.INT8 && quantization == null) {
            throw new IllegalArgumentException("model.json: precision int8 needs quantization {parameters: a file name},"
                    + " which the quantize command writes");
        }
        if (precision != Precision.INT8 && quantization != null) {
            throw new IllegalArgumentException("model.json: quantization is only read with precision int8");
        }
        if (outOfDistribution != null && format == Format.TORCHSCRIPT) {
            throw new IllegalArgumentException("model.json: outOfDistribution needs the network's features, which a"
                    + " TorchScript module does not expose");
        }
    }

    /** The same model without calibration or out-of-distribution statistics (what {@code calibrate} starts from). */
    public ModelSpec withoutFittedStatistics() {
        return new ModelSpec(name, architecture, depth, variant, format, weights, labels, input, preprocess, null, null,
                precision, quantization);
    }

    public ModelSpec with(Calibration calibration, OutOfDistribution outOfDistribution) {
        return new ModelSpec(name, architecture, depth, variant, format, weights, labels, input, preprocess, calibration,
                outOfDistribution, precision, quantization);
    }

    /** The same model under another name, run at {@code precision} ({@code quantization} with int8 only). */
    public ModelSpec with(String name, Precision precision, Quantization quantization) {
        return new ModelSpec(name, architecture, depth, variant, format, weights, labels, input, preprocess, calibration,
                outOfDistribution, precision, quantization);
    }

    /** The arithmetic the network's convolutions run in. */
    public enum Precision {
        /** 32-bit floats: the network as trained. */
        @JsonProperty("fp32") FP32,
        /** 8-bit integers, from post-training static quantization ({@link Quantization}). */
        @JsonProperty("int8") INT8,
        /** bfloat16 convolutions through oneDNN, on CPUs with AVX512-BF16 or AMX. */
        @JsonProperty("bf16") BF16;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Where an int8 model's encodings live ({@code parameters}, an .npz file read as {@link Int8Parameters}),
     * and how they were made: the observer that chose the activation ranges and the calibration images.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Quantization(String parameters, String observer, String calibratedOn, Long calibrationImages) {
        public Quantization {
            Objects.requireNonNull(parameters, "model.json: quantization.parameters (a file name) is required");
        }
    }

    /** Temperature scaling: probabilities are {@code softmax(logits / temperature)}. */
    public record Calibration(double temperature, String fittedOn) {
        public Calibration {
            if (!(temperature > 0) || Double.isInfinite(temperature)) {
                throw new IllegalArgumentException("model.json: calibration.temperature must be a positive number");
            }
        }
    }

    /**
     * How far an image lies from the training data: {@code method} (mahalanobis: {@link FeatureGaussians}
     * in the file {@code statistics}), and the score above which it is reported out of distribution,
     * chosen so that {@code inDistributionPassRate} of held-out in-distribution images stay below it.
     */
    public record OutOfDistribution(String method, String statistics, double threshold, Double inDistributionPassRate) {
        public OutOfDistribution {
            if (!"mahalanobis".equals(method)) {
                throw new IllegalArgumentException("model.json: outOfDistribution.method must be \"mahalanobis\"");
            }
            Objects.requireNonNull(statistics, "model.json: outOfDistribution.statistics (a file name) is required");
            if (!(threshold > 0) || Double.isInfinite(threshold)) {
                throw new IllegalArgumentException("model.json: outOfDistribution.threshold must be a positive number");
            }
        }
    }

    public enum Format {
        /** Our blocks, weights in DJL's parameter format (what {@code train} writes). */
        @JsonProperty("djl") DJL,
        /** Our TORCHVISION-variant blocks, weights as a torchvision state_dict in an .npz file. */
        @JsonProperty("torchvision-npz") TORCHVISION_NPZ,
        /** A TorchScript module ({@code torch.jit.script} or {@code trace}) run as it is. */
        @JsonProperty("torchscript") TORCHSCRIPT
    }

    public record Input(int channels, int height, int width) {
        public Input {
            if (channels != 1 && channels != 3) {
                throw new IllegalArgumentException("model.json: input.channels must be 1 or 3");
            }
            if (height < 1 || width < 1) {
                throw new IllegalArgumentException("model.json: input.height and input.width must be positive");
            }
        }
    }

    /** How the model wants its pixels: colour mode, geometry, optional inversion and framing, normalisation. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Preprocess(
            Colour colour,
            Resize resize,
            Integer resizeShorterSideTo,
            Filter filter,
            Background background,
            List<Float> mean,
            List<Float> std,
            Crop crop) {

        public Preprocess {
            crop = crop == null ? Crop.NONE : crop;
            filter = filter == null ? Filter.BILINEAR : filter;
            Objects.requireNonNull(colour, "model.json: preprocess.colour (grayscale or rgb) is required");
            resize = resize == null ? Resize.SHORTER_SIDE_CROP : resize;
            background = background == null ? Background.KEEP : background;
            Objects.requireNonNull(mean, "model.json: preprocess.mean is required");
            Objects.requireNonNull(std, "model.json: preprocess.std is required");
        }
    }

    public enum Colour {
        @JsonProperty("grayscale") GRAYSCALE,
        @JsonProperty("rgb") RGB
    }

    public enum Resize {
        /** torchvision's recipe: resize the shorter side (to resizeShorterSideTo), then center-crop. */
        @JsonProperty("shorter-side-crop") SHORTER_SIDE_CROP,
        /** Fit the whole image into the input keeping its aspect ratio and pad the rest with background. */
        @JsonProperty("fit-pad") FIT_PAD
    }

    public enum Filter {
        /** Antialiased bilinear, as torchvision resizes PIL images. */
        @JsonProperty("bilinear") BILINEAR,
        /** Area averaging: undoes an upscale most faithfully (small items photographed or enlarged). */
        @JsonProperty("area") AREA
    }

    public enum Crop {
        /** The whole frame. */
        @JsonProperty("none") NONE,
        /**
         * The item against a near-uniform background (estimated from the border), cropped to its bounding
         * box and with that background made the canvas colour, as product photos became Fashion-MNIST
         * (trim, then fit). The whole frame where the border is not uniform.
         */
        @JsonProperty("object") OBJECT
    }

    public enum Background {
        @JsonProperty("keep") KEEP,
        /** Invert images whose border is light, so items on white look like the dataset's (light on dark). */
        @JsonProperty("dark") DARK
    }
}
