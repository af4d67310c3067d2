package io.resnetservice.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.resnetservice.support.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Each rule of model.json, at its edge: what passes, and the message for what does not. */
class ModelSpecValidationTest {

    private static final ModelSpec BASE = TestModels.fashionSpec("m");

    private static String refused(Executable spec) {
        return assertThrows(RuntimeException.class, spec).getMessage();
    }

    private static ModelSpec spec(String architecture, int depth, ResNetVariant variant, ModelSpec.Format format,
            ModelSpec.Input input, ModelSpec.Preprocess preprocess, ModelSpec.OutOfDistribution ood) {
        return new ModelSpec("m", architecture, depth, variant, format, "w", null, input, preprocess, null, ood, null, null);
    }

    @Test
    void defaultsAreFilledIn() {
        ModelSpec spec = spec(null, 18, ResNetVariant.TEXTBOOK, null, BASE.input(), BASE.preprocess(), null);
        assertEquals("resnet", spec.architecture());
        assertEquals(ModelSpec.Format.DJL, spec.format());
        assertEquals("labels.txt", spec.labels());
        assertEquals(ModelSpec.Precision.FP32, spec.precision());
        ModelSpec.Preprocess bare = new ModelSpec.Preprocess(ModelSpec.Colour.RGB, null, null, null, null,
                List.of(0f, 0f, 0f), List.of(1f, 1f, 1f), null);
        assertEquals(ModelSpec.Resize.SHORTER_SIDE_CROP, bare.resize());
        assertEquals(ModelSpec.Filter.BILINEAR, bare.filter());
        assertEquals(ModelSpec.Background.KEEP, bare.background());
        assertEquals(ModelSpec.Crop.NONE, bare.crop());
    }

    @Test
    void theNetworkMustBeOneWeBuildOrATorchScriptModule() {
        assertEquals("model.json: architecture must be \"resnet\", was \"vgg\"",
                refused(() -> spec("vgg", 18, ResNetVariant.TEXTBOOK, null, BASE.input(), BASE.preprocess(), null)));
        assertEquals("model.json: variant (textbook or torchvision) is required",
                refused(() -> spec(null, 18, null, null, BASE.input(), BASE.preprocess(), null)));
        refused(() -> spec(null, 19, ResNetVariant.TEXTBOOK, null, BASE.input(), BASE.preprocess(), null));
        // A TorchScript module needs neither a variant nor a depth.
        assertEquals(ModelSpec.Format.TORCHSCRIPT,
                spec(null, 0, null, ModelSpec.Format.TORCHSCRIPT, BASE.input(), BASE.preprocess(), null).format());
        assertEquals("model.json: torchvision-npz weights need variant \"torchvision\"", refused(() -> spec(null, 18,
                ResNetVariant.TEXTBOOK, ModelSpec.Format.TORCHVISION_NPZ, BASE.input(), BASE.preprocess(), null)));
        spec(null, 18, ResNetVariant.TORCHVISION, ModelSpec.Format.TORCHVISION_NPZ, BASE.input(), BASE.preprocess(), null);
        ModelSpec.OutOfDistribution ood = new ModelSpec.OutOfDistribution("mahalanobis", "s.npz", 1, null);
        assertEquals("model.json: outOfDistribution needs the network's features, which a TorchScript module does not"
                + " expose", refused(() -> spec(null, 0, null, ModelSpec.Format.TORCHSCRIPT, BASE.input(),
                        BASE.preprocess(), ood)));
    }

    @Test
    void inputAndNormalisationMustAgree() {
        assertEquals("model.json: input.channels must be 1 or 3", refused(() -> new ModelSpec.Input(2, 28, 28)));
        assertEquals("model.json: input.channels must be 1 or 3", refused(() -> new ModelSpec.Input(4, 28, 28)));
        assertEquals("model.json: input.height and input.width must be positive", refused(() -> new ModelSpec.Input(1, 0, 5)));
        assertEquals("model.json: input.height and input.width must be positive", refused(() -> new ModelSpec.Input(1, 5, 0)));
        assertEquals(1, new ModelSpec.Input(1, 1, 1).height());
        assertEquals(3, new ModelSpec.Input(3, 1, 1).channels());
        ModelSpec.Input rgb = new ModelSpec.Input(3, 28, 28);
        assertEquals("model.json: preprocess.mean and preprocess.std need one value per input channel",
                refused(() -> spec(null, 18, ResNetVariant.TEXTBOOK, null, rgb, BASE.preprocess(), null)));
        ModelSpec.Preprocess oneStd = new ModelSpec.Preprocess(ModelSpec.Colour.RGB, null, null, null, null,
                List.of(0f, 0f, 0f), List.of(1f), null);
        assertEquals("model.json: preprocess.mean and preprocess.std need one value per input channel",
                refused(() -> spec(null, 18, ResNetVariant.TEXTBOOK, null, rgb, oneStd, null)));
        assertEquals("model.json: preprocess.colour (grayscale or rgb) is required", refused(() ->
                new ModelSpec.Preprocess(null, null, null, null, null, List.of(0f), List.of(1f), null)));
    }

    @Test
    void fittedStatisticsMustBeUsable() {
        assertEquals("model.json: calibration.temperature must be a positive number",
                refused(() -> new ModelSpec.Calibration(0, "x")));
        assertEquals("model.json: calibration.temperature must be a positive number",
                refused(() -> new ModelSpec.Calibration(Double.POSITIVE_INFINITY, "x")));
        assertEquals("model.json: calibration.temperature must be a positive number",
                refused(() -> new ModelSpec.Calibration(Double.NaN, "x")));
        assertEquals(1e-9, new ModelSpec.Calibration(1e-9, "x").temperature());
        assertEquals("model.json: outOfDistribution.method must be \"mahalanobis\"",
                refused(() -> new ModelSpec.OutOfDistribution("energy", "s", 1, null)));
        assertEquals("model.json: outOfDistribution.threshold must be a positive number",
                refused(() -> new ModelSpec.OutOfDistribution("mahalanobis", "s", 0, null)));
        assertEquals("model.json: outOfDistribution.threshold must be a positive number",
                refused(() -> new ModelSpec.OutOfDistribution("mahalanobis", "s", Double.POSITIVE_INFINITY, null)));
        assertEquals(1e-9, new ModelSpec.OutOfDistribution("mahalanobis", "s", 1e-9, null).threshold());
    }

    @Test
    void derivedSpecsKeepEverythingElse() {
        ModelSpec.Calibration calibration = new ModelSpec.Calibration(1.5, "x");
        ModelSpec.OutOfDistribution ood = new ModelSpec.OutOfDistribution("mahalanobis", "s", 3, 0.9);
        ModelSpec fitted = BASE.with(calibration, ood);
        assertEquals(calibration, fitted.calibration());
        assertEquals(ood, fitted.outOfDistribution());
        assertEquals(BASE.preprocess(), fitted.preprocess());
        ModelSpec bare = fitted.withoutFittedStatistics();
        assertEquals(BASE, bare);
        ModelSpec int8 = fitted.with("m-int8", ModelSpec.Precision.INT8, new ModelSpec.Quantization("q", null, null, null));
        assertEquals("m-int8", int8.name());
        assertEquals(ood, int8.outOfDistribution());
        assertEquals(ModelSpec.Precision.INT8, int8.with(calibration, null).precision());
    }
}
