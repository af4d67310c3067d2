package io.resnetservice.training;

import io.resnetservice.image.Pixels;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.preprocess.Preprocessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/** Fashion-MNIST as Debian's {@code dataset-fashion-mnist} installs it: 28x28 grey images, 10 classes. */
public final class FashionMnist {

    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final int SIZE = 28;
    public static final List<String> LABELS = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    /** Mean and standard deviation of the training images' pixels scaled to [0, 1]. */
    public static final float MEAN = 0.2860f;
    public static final float STD = 0.3530f;

    /** One split: {@code count} images of 28x28 unsigned bytes and their labels. */
    public record Split(byte[] images, byte[] labels, int count) {
        public int label(int i) {
            return labels[i];
        }

        public Split first(int n) {
            int k = Math.min(n, count);
            return new Split(Arrays.copyOf(images, k * SIZE * SIZE), Arrays.copyOf(labels, k), k);
        }
    }

    /**
     * A split turned into model input: every image through the model's own {@link Preprocessor}, so
     * training, evaluation and serving feed the network identical tensors.
     */
    public record Prepared(float[] tensors, byte[] labels, int count, int channels, int size) {
        public int tensorSize() {
            return channels * size * size;
        }

        public int label(int i) {
            return labels[i];
        }
    }

    private FashionMnist() {}

    public static Prepared prepare(Split split, ModelSpec spec) {
        Preprocessor preprocessor = new Preprocessor(spec.input(), spec.preprocess());
        int tensor = preprocessor.tensorSize();
        float[] tensors = new float[split.count() * tensor];
        int pixels = SIZE * SIZE;
        IntStream.range(0, split.count()).parallel().forEach(i -> {
            float[] grey = new float[pixels];
            for (int p = 0; p < pixels; p++) {
                grey[p] = (split.images()[i * pixels + p] & 0xff) / 255f;
            }
            preprocessor.apply(new Pixels(SIZE, SIZE, 1, grey), tensors, i * tensor);
        });
        return new Prepared(tensors, split.labels(), split.count(), spec.input().channels(), spec.input().width());
    }

    public static Split train(Path dir) throws IOException {
        return load(dir, "train");
    }

    public static Split test(Path dir) throws IOException {
        return load(dir, "t10k");
    }

    public static boolean isInstalled(Path dir) {
        return Files.isRegularFile(dir.resolve("t10k-images-idx3-ubyte.gz"));
    }

    private static Split load(Path dir, String prefix) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("Fashion-MNIST not found in " + dir
                    + ": install Debian's package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)"
                    + " or pass the folder that holds its IDX files");
        }
        IdxReader.IdxData images = IdxReader.read(dir.resolve(prefix + "-images-idx3-ubyte.gz"), 3);
        IdxReader.IdxData labels = IdxReader.read(dir.resolve(prefix + "-labels-idx1-ubyte.gz"), 1);
        if (images.dimensions()[1] != SIZE || images.dimensions()[2] != SIZE) {
            throw new IOException(dir + ": images are not 28x28");
        }
        if (images.count() != labels.count()) {
            throw new IOException(dir + ": " + images.count() + " images but " + labels.count() + " labels");
        }
        for (byte label : labels.data()) {
            if (label < 0 || label >= LABELS.size()) {
                throw new IOException(dir + ": label " + label + " outside 0..9");
            }
        }
        return new Split(images.data(), labels.data(), images.count());
    }
}
