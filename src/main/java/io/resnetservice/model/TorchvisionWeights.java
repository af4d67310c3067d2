package io.resnetservice.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.pytorch.engine.PtNDArray;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Puts a torchvision ResNet's {@code state_dict} ({@code conv1.weight}, {@code layer1.0.bn1.running_mean},
 * {@code layer2.0.downsample.0.weight}, {@code fc.bias}, ...) into our TORCHVISION-variant blocks. Names
 * are matched by walking our network in the order torchvision builds its own; every missing, unexpected
 * or mis-shaped tensor is reported at once.
 */
public final class TorchvisionWeights {

    private TorchvisionWeights() {}

    /** Torchvision's name for each of our parameters, in network order. */
    public static Map<String, Parameter> names(ResNet resnet) {
        Map<String, Parameter> names = new LinkedHashMap<>();
        conv(names, "conv1", resnet.stem().conv1());
        batchNorm(names, "bn1", resnet.stem().bn1());
        for (int stage = 1; stage <= 4; stage++) {
            List<ResidualBlock> blocks = resnet.layer(stage).blocks();
            for (int b = 0; b < blocks.size(); b++) {
                ResidualBlock block = blocks.get(b);
                String prefix = "layer" + stage + "." + b + ".";
                int conv = 0;
                for (Block layer : children(block.residual())) {
                    if (layer instanceof Conv2d) {
                        conv(names, prefix + "conv" + ++conv, layer);
                    } else if (layer instanceof BatchNorm) {
                        batchNorm(names, prefix + "bn" + conv, layer);
                    }
                }
                if (block.shortcut() != null) {
                    List<Block> downsample = children(block.shortcut());
                    conv(names, prefix + "downsample.0", downsample.get(0));
                    batchNorm(names, prefix + "downsample.1", downsample.get(1));
                }
            }
        }
        names.put("fc.weight", resnet.head().fc().getParameters().get("weight"));
        names.put("fc.bias", resnet.head().fc().getParameters().get("bias"));
        return names;
    }

    /**
     * Replaces the values of an initialised network's parameters with those of a state_dict saved as .npz,
     * read as it goes ({@link Npz#forEach}): each tensor goes from one reused native buffer into its
     * parameter, none through the Java heap. A parameter may already hold its new values when a later
     * problem is reported; the caller discards the network then.
     *
     * @throws ModelLoadException listing every tensor that is missing, unexpected or mis-shaped
     */
    public static void load(ResNet resnet, InputStream npz, NDManager manager, String source) throws IOException {
        Map<String, Parameter> targets = names(resnet);
        TreeSet<String> missing = new TreeSet<>(targets.keySet());
        TreeSet<String> unexpected = new TreeSet<>();
        List<String> misshaped = new ArrayList<>();
        Npz.forEach(npz, (name, shape, values) -> {
            Parameter parameter = targets.get(name);
            if (parameter == null) {
                if (!name.endsWith("num_batches_tracked")) {
                    unexpected.add(name);
                }
                return;
            }
            missing.remove(name);
            if (!new Shape(shape).equals(parameter.getArray().getShape())) {
                misshaped.add(name + " is " + Arrays.toString(shape) + ", expected " + parameter.getArray().getShape());
                return;
            }
            intern(parameter, manager.create(values, new Shape(shape), DataType.FLOAT32));
        });
        refuseIfAny(source, missing, unexpected, misshaped);
    }

    /** Throws, listing them all, where anything is missing, unexpected or mis-shaped. */
    private static void refuseIfAny(String source, TreeSet<String> missing, TreeSet<String> unexpected,
            List<String> misshaped) {
        List<String> problems = new ArrayList<>();
        if (!missing.isEmpty()) {
            problems.add("missing " + missing);
        }
        if (!unexpected.isEmpty()) {
            problems.add("unexpected " + unexpected);
        }
        if (!misshaped.isEmpty()) {
            problems.add("mis-shaped " + misshaped);
        }
        if (!problems.isEmpty()) {
            throw new ModelLoadException(source + ": the state_dict does not fit a torchvision ResNet of this depth and "
                    + "class count: " + String.join("; ", problems), null);
        }
    }

    /**
     * Gives {@code parameter} a native copy of {@code borrowed}, which wraps a buffer owned elsewhere and
     * is closed here; the parameter keeps its identity (the block holds it), only its storage is swapped.
     */
    private static void intern(Parameter parameter, NDArray borrowed) {
        try (borrowed) {
            ((PtNDArray) parameter.getArray()).intern(borrowed.duplicate());
        }
    }

    private static List<Block> children(Block block) {
        return new ArrayList<>(block.getChildren().values());
    }

    private static void conv(Map<String, Parameter> names, String prefix, Block conv) {
        names.put(prefix + ".weight", conv.getParameters().get("weight"));
        Parameter bias = conv.getParameters().contains("bias") ? conv.getParameters().get("bias") : null;
        if (bias != null) {
            names.put(prefix + ".bias", bias);
        }
    }

    private static void batchNorm(Map<String, Parameter> names, String prefix, Block bn) {
        names.put(prefix + ".weight", bn.getParameters().get("gamma"));
        names.put(prefix + ".bias", bn.getParameters().get("beta"));
        names.put(prefix + ".running_mean", bn.getParameters().get("runningMean"));
        names.put(prefix + ".running_var", bn.getParameters().get("runningVar"));
    }
}
