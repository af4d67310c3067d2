package io.resnetservice.model;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads and writes a model folder: {@code model.json}, the weights file (DJL's block parameter format)
 * and {@code labels.txt}. The folder may live on disk or inside the application jar.
 */
public final class ModelFolder {

    public static final String METRICS_FILE = "metrics.json";

    static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private final ModelSource source;
    private final ModelSpec spec;
    private final List<String> labels;
    private final Map<String, Object> metrics;

    private ModelFolder(ModelSource source, ModelSpec spec, List<String> labels, Map<String, Object> metrics) {
        this.source = source;
        this.spec = spec;
        this.labels = labels;
        this.metrics = metrics;
    }

    /** Where the default model sits inside the application jar. */
    public static final String EMBEDDED = "models/fashion-mnist-resnet18";

    /** The default model, embedded in the application. */
    public static ModelFolder embedded() {
        return open(ModelSource.classpath(EMBEDDED));
    }

    public static ModelFolder open(ModelSource source) {
        ModelSpec spec;
        try (InputStream in = source.open(ModelSpec.FILE_NAME)) {
            spec = JSON.readValue(in, ModelSpec.class);
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException(source.describe(ModelSpec.FILE_NAME) + ": " + rootMessage(e), e);
        }
        List<String> labels;
        try (InputStream in = source.open(spec.labels())) {
            labels = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .map(String::strip).filter(l -> !l.isEmpty()).toList();
        } catch (IOException e) {
            throw new ModelLoadException(source.describe(spec.labels()) + ": " + rootMessage(e), e);
        }
        if (labels.isEmpty()) {
            throw new ModelLoadException(source.describe(spec.labels()) + ": no labels", null);
        }
        return new ModelFolder(source, spec, labels, readMetrics(source));
    }

    /** {@code metrics.json}, if the folder has one: how the model was trained and how well it does. */
    private static Map<String, Object> readMetrics(ModelSource source) {
        try (InputStream in = source.open(METRICS_FILE)) {
            return JSON.readValue(in, new TypeReference<Map<String, Object>>() {});
        } catch (IOException e) {
            return Map.of();
        } catch (RuntimeException e) {
            throw new ModelLoadException(source.describe(METRICS_FILE) + ": " + rootMessage(e), e);
        }
    }

    public Map<String, Object> metrics() {
        return metrics;
    }

    public ModelSource source() {
        return source;
    }

    public ModelSpec spec() {
        return spec;
    }

    public List<String> labels() {
        return labels;
    }

    /** The network that model.json describes, with no weights yet. */
    public ResNet newBlock() {
        return ResNet.build(ResNetArchitecture.ofDepth(spec.depth()), spec.variant(), labels.size());
    }

    public Shape inputShape(int batch) {
        ModelSpec.Input in = spec.input();
        return new Shape(batch, in.channels(), in.height(), in.width());
    }

    /**
     * Loads the weights into a network built by {@link #newBlock()}, in {@code manager}.
     *
     * @return the SHA-256 of the weights file, hex encoded
     */
    public String loadWeights(Block block, NDManager manager) {
        if (spec.format() == ModelSpec.Format.TORCHVISION_NPZ) {
            return loadStateDict(block, manager);
        }
        return loadDjlParameters(block, manager);
    }

    private String loadStateDict(Block block, NDManager manager) {
        String file = spec.weights();
        if (!(block instanceof ResNet resnet)) {
            throw new ModelLoadException(source.describe(file) + ": a torchvision state_dict loads into our ResNet only", null);
        }
        try (DigestInputStream in = new DigestInputStream(new BufferedInputStream(source.open(file), 1 << 16), sha256())) {
            resnet.initialize(manager, DataType.FLOAT32, inputShape(1));
            TorchvisionWeights.load(resnet, in, manager, source.describe(file));
            in.transferTo(OutputStream.nullOutputStream()); // the digest covers the whole file, zip directory too
            return HexFormat.of().formatHex(in.getMessageDigest().digest());
        } catch (ModelLoadException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException(source.describe(file) + ": cannot load the torchvision state_dict: "
                    + rootMessage(e), e);
        }
    }

    /**
     * The fitted out-of-distribution statistics model.json names, checked against the network they
     * belong to (its classes and the width of its features); empty when it names none.
     */
    public Optional<FeatureGaussians> outOfDistribution(int featureWidth) {
        ModelSpec.OutOfDistribution ood = spec.outOfDistribution();
        if (ood == null) {
            return Optional.empty();
        }
        FeatureGaussians gaussians;
        try (InputStream in = new BufferedInputStream(source.open(ood.statistics()))) {
            gaussians = FeatureGaussians.read(in);
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException(source.describe(ood.statistics()) + ": cannot read the out-of-distribution"
                    + " statistics: " + rootMessage(e), e);
        }
        if (gaussians.classes() != labels.size() || gaussians.dim() != featureWidth) {
            throw new ModelLoadException(source.describe(ood.statistics()) + ": statistics for " + gaussians.classes()
                    + " classes of " + gaussians.dim() + " features, but the network has " + labels.size()
                    + " classes of " + featureWidth, null);
        }
        return Optional.of(gaussians);
    }

    /** The int8 encodings model.json names (precision int8); empty for other precisions. */
    public Optional<Int8Parameters> int8Parameters() {
        ModelSpec.Quantization quantization = spec.quantization();
        if (quantization == null) {
            return Optional.empty();
        }
        try (InputStream in = new BufferedInputStream(source.open(quantization.parameters()))) {
            return Optional.of(Int8Parameters.read(in));
        } catch (IOException | RuntimeException e) {
            throw new ModelLoadException(source.describe(quantization.parameters()) + ": cannot read the int8"
                    + " quantization parameters: " + rootMessage(e), e);
        }
    }

    /** SHA-256 of a file of the folder, hex encoded. */
    public String sha256Of(String fileName) {
        try (InputStream in = new DigestInputStream(source.open(fileName), sha256())) {
            MessageDigest digest = ((DigestInputStream) in).getMessageDigest();
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new ModelLoadException(source.describe(fileName) + ": " + rootMessage(e), e);
        }
    }

    private String loadDjlParameters(Block block, NDManager manager) {
        String file = spec.weights();
        try (InputStream raw = source.open(file);
                DigestInputStream digest = new DigestInputStream(new BufferedInputStream(raw, 1 << 16), sha256());
                DataInputStream in = new DataInputStream(digest)) {
            // DJL replaces each parameter with whatever the file holds, so check the shapes ourselves.
            block.initialize(manager, DataType.FLOAT32, inputShape(1));
            Map<String, Shape> expected = new LinkedHashMap<>();
            block.getParameters().forEach(p -> expected.put(p.getKey(), p.getValue().getArray().getShape()));
            block.loadParameters(manager, in);
            if (in.read() != -1) {
                throw new MalformedModelException("trailing bytes after the parameters: wrong architecture?");
            }
            List<String> misfits = new ArrayList<>();
            block.getParameters().forEach(p -> {
                Shape actual = p.getValue().getArray().getShape();
                if (!actual.equals(expected.get(p.getKey()))) {
                    misfits.add(p.getKey() + " is " + actual + ", expected " + expected.get(p.getKey()));
                }
            });
            if (!misfits.isEmpty()) {
                throw new MalformedModelException("mis-shaped tensors: " + String.join("; ", misfits));
            }
            return HexFormat.of().formatHex(digest.getMessageDigest().digest());
        } catch (IOException | MalformedModelException | RuntimeException e) {
            throw new ModelLoadException(source.describe(file) + ": cannot load weights for a "
                    + spec.variant() + " ResNet-" + spec.depth() + " with " + labels.size() + " classes: "
                    + rootMessage(e), e);
        }
    }

    /** Writes a complete model folder. The block must be initialised. */
    public static void write(Path dir, ModelSpec spec, List<String> labels, Block block) throws IOException {
        Files.createDirectories(dir);
        Path weights = dir.resolve(spec.weights());
        Path tmp = dir.resolve(spec.weights() + ".tmp");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
                DataOutputStream data = new DataOutputStream(out)) {
            block.saveParameters(data);
        }
        Files.move(tmp, weights, StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        Files.writeString(dir.resolve(spec.labels()), String.join("\n", labels) + "\n", StandardCharsets.UTF_8);
        writeSpec(dir, spec);
    }

    public static void writeSpec(Path dir, ModelSpec spec) throws IOException {
        Files.writeString(dir.resolve(ModelSpec.FILE_NAME), JSON.writeValueAsString(spec) + "\n");
    }

    /** Initialises a fresh block with the shape this model folder takes, for tests and training. */
    public static void initialize(Block block, NDManager manager, ModelSpec.Input input) {
        block.initialize(manager, DataType.FLOAT32, new Shape(1, input.channels(), input.height(), input.width()));
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        if (t instanceof NoSuchFileException) {
            return "file not found";
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** Where a model folder's files come from: a directory, or a folder on the classpath. */
    public interface ModelSource {
        InputStream open(String fileName) throws IOException;

        /** The folder on disk, where there is one (TorchScript models are loaded from a path). */
        default Optional<Path> directory() {
            return Optional.empty();
        }

        String describe(String fileName);

        static ModelSource directory(Path dir) {
            return new ModelSource() {
                @Override
                public InputStream open(String fileName) throws IOException {
                    return Files.newInputStream(dir.resolve(fileName));
                }

                @Override
                public String describe(String fileName) {
                    return dir.resolve(fileName).toString();
                }

                @Override
                public Optional<Path> directory() {
                    return Optional.of(dir);
                }
            };
        }

        static ModelSource classpath(String folder) {
            String base = folder.endsWith("/") ? folder : folder + "/";
            return new ModelSource() {
                @Override
                public InputStream open(String fileName) throws IOException {
                    InputStream in = ModelFolder.class.getClassLoader().getResourceAsStream(base + fileName);
                    if (in == null) {
                        throw new NoSuchFileException("classpath:" + base + fileName);
                    }
                    return in;
                }

                @Override
                public String describe(String fileName) {
                    return "classpath:" + base + fileName;
                }
            };
        }
    }
}
