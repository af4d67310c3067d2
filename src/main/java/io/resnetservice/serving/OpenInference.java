package io.resnetservice.serving;

import io.resnetservice.model.ModelSpec;
import io.resnetservice.runtime.LoadedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the Open Inference Protocol (v2) says about a served model, the same over REST and gRPC: its
 * tensors (an FP32 {@code input} [N,C,H,W] or a BYTES {@code image} [N] of image files in;
 * {@code probabilities}, and for a model with fitted statistics {@code ood_score} and
 * {@code out_of_distribution}, out), its platform, and the classification extension's strings.
 */
public final class OpenInference {

    public static final String TENSOR_INPUT = "input";
    public static final String IMAGE_INPUT = "image";
    public static final String OUTPUT = "probabilities";
    public static final String OOD_SCORE_OUTPUT = "ood_score";
    public static final String OOD_OUTPUT = "out_of_distribution";
    public static final String SERVER_NAME = "resnet-service";

    /** A tensor's name, datatype and shape; -1: any batch size. */
    public record Tensor(String name, String datatype, List<Integer> shape) {}

    private OpenInference() {}

    public static String platform(LoadedModel model) {
        return model.spec().format() == ModelSpec.Format.TORCHSCRIPT ? "pytorch_torchscript" : "djl_pytorch";
    }

    public static List<Tensor> inputs(LoadedModel model) {
        var in = model.spec().input();
        return List.of(new Tensor(TENSOR_INPUT, "FP32", List.of(-1, in.channels(), in.height(), in.width())),
                new Tensor(IMAGE_INPUT, "BYTES", List.of(-1)));
    }

    public static List<Tensor> outputs(LoadedModel model) {
        List<Tensor> outputs = new ArrayList<>();
        outputs.add(new Tensor(OUTPUT, "FP32", List.of(-1, model.labels().size())));
        if (model.outOfDistribution().isPresent()) {
            outputs.add(new Tensor(OOD_SCORE_OUTPUT, "FP32", List.of(-1)));
            outputs.add(new Tensor(OOD_OUTPUT, "BOOL", List.of(-1)));
        }
        return outputs;
    }

    /** probabilities, and for a model with fitted statistics ood_score and out_of_distribution. */
    public static List<String> outputNames(LoadedModel model) {
        return outputs(model).stream().map(Tensor::name).toList();
    }

    /** The classification extension: per image its top {@code k} as "probability:index:label", row-major. */
    public static List<String> classification(LoadedModel model, float[][] probabilities, int k) {
        List<String> data = new ArrayList<>(probabilities.length * k);
        for (float[] row : probabilities) {
            for (Prediction p : TopK.of(row, model.labels(), k)) {
                data.add(String.format(Locale.ROOT, "%f:%d:%s", p.probability(), p.index(), p.label()));
            }
        }
        return data;
    }

    /** Row-major [N, classes]. */
    public static float[] flatten(float[][] probabilities, int classes) {
        float[] data = new float[probabilities.length * classes];
        for (int i = 0; i < probabilities.length; i++) {
            System.arraycopy(probabilities[i], 0, data, i * classes, classes);
        }
        return data;
    }

    /** Whether each score lies above the model's threshold. */
    public static boolean[] outOfDistribution(LoadedModel model, float[] scores) {
        double threshold = model.spec().outOfDistribution().threshold();
        boolean[] flags = new boolean[scores.length];
        for (int i = 0; i < scores.length; i++) {
            flags[i] = scores[i] > threshold;
        }
        return flags;
    }

    public static List<String> extensions(boolean repositoryOpen) {
        return repositoryOpen ? List.of("classification", "model_repository") : List.of("classification");
    }

    public static String serverVersion() {
        String v = OpenInference.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
