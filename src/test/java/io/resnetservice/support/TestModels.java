package io.resnetservice.support;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.model.ResNet;
import io.resnetservice.model.ResNetArchitecture;
import io.resnetservice.model.ResNetVariant;
import io.resnetservice.training.FashionMnist;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Model folders with random weights, made in a temp dir: real networks, made-up knowledge. */
public final class TestModels {

    public static final String NAME = "random-fmnist";

    private TestModels() {}

    /** torchvision's ImageNet recipe: shorter side to 256, center crop 224, ImageNet mean and std. */
    public static final ModelSpec.Input IMAGENET_INPUT = new ModelSpec.Input(3, 224, 224);
    public static final ModelSpec.Preprocess IMAGENET_PREPROCESS = new ModelSpec.Preprocess(ModelSpec.Colour.RGB,
            ModelSpec.Resize.SHORTER_SIDE_CROP, 256, ModelSpec.Filter.BILINEAR, ModelSpec.Background.KEEP,
            List.of(0.485f, 0.456f, 0.406f), List.of(0.229f, 0.224f, 0.225f), null);

    /** A textbook ResNet-18 folder's spec for 1x28x28 Fashion-MNIST input, preprocessed as the shipped model is. */
    public static ModelSpec fashionSpec(String name) {
        return new ModelSpec(name, "resnet", 18, ResNetVariant.TEXTBOOK, ModelSpec.Format.DJL, name + ".params",
                "labels.txt", new ModelSpec.Input(1, 28, 28),
                new ModelSpec.Preprocess(ModelSpec.Colour.GRAYSCALE, ModelSpec.Resize.FIT_PAD, null, ModelSpec.Filter.AREA,
                        ModelSpec.Background.DARK, List.of(FashionMnist.MEAN), List.of(FashionMnist.STD), null), null, null, null, null);
    }

    /** A folder of model folders holding one random textbook ResNet-18 for 1x28x28 input and 10 classes. */
    public static Path repositoryWithRandomFashionModel() {
        try {
            Path repository = TempDirs.create("resnet-models");
            Path dir = repository.resolve(NAME);
            ModelSpec spec = fashionSpec(NAME);
            try (NDManager manager = NDManager.newBaseManager()) {
                Block block = ResNet.build(ResNetArchitecture.RESNET_18, ResNetVariant.TEXTBOOK, 10);
                ModelFolder.initialize(block, manager, spec.input());
                ModelFolder.write(dir, spec, FashionMnist.LABELS, block);
            }
            return repository;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new random textbook ResNet-18 for 1x28x28 input written to {@code dir} as model {@code name}. */
    public static Path writeRandomFashion(Path dir, String name) throws IOException {
        ModelSpec spec = fashionSpec(name);
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = ResNet.build(ResNetArchitecture.RESNET_18, ResNetVariant.TEXTBOOK, 10);
            ModelFolder.initialize(block, manager, spec.input());
            ModelFolder.write(dir, spec, FashionMnist.LABELS, block);
        }
        return dir;
    }

    /** A seeded-at-random torchvision-layout ResNet-18 for 3x224x224 and 10 classes, written to {@code dir}. */
    public static Path writeRandomImageNet(Path dir) {
        String name = dir.getFileName().toString();
        ModelSpec spec = new ModelSpec(name, "resnet", 18, ResNetVariant.TORCHVISION, ModelSpec.Format.DJL,
                name + ".params", "labels.txt", IMAGENET_INPUT, IMAGENET_PREPROCESS, null, null, null, null);
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = ResNet.build(ResNetArchitecture.RESNET_18, ResNetVariant.TORCHVISION, 10);
            ModelFolder.initialize(block, manager, spec.input());
            ModelFolder.write(dir, spec, FashionMnist.LABELS, block);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** A copy of model folder {@code source}'s files in {@code dir} (created), to edit its model.json. */
    public static Path copyFolder(Path source, Path dir) throws IOException {
        Files.createDirectories(dir);
        try (java.util.stream.Stream<Path> files = Files.list(source)) {
            for (Path file : files.toList()) {
                Files.copy(file, dir.resolve(file.getFileName()));
            }
        }
        return dir;
    }
}
