package io.resnetservice.runtime;

import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelLoadException;
import io.resnetservice.model.ModelSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The model folders a service serves: in a folder of them, each model a folder holding either a model.json
 * (the flat layout: version 1) or versions, positive integer folders each holding a model.json (Triton's
 * layout); or the embedded one.
 */
public final class ModelFolders {

    /** A version folder's name: a positive integer, no sign, no leading zero. */
    private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,17}");

    /**
     * One version of a model as found on disk.
     *
     * @param model the name of the model's folder, directly under the model folder
     * @param version 1 for the flat layout
     * @param path the folder that holds (or, while it is being copied, will hold) its model.json
     * @param flat whether {@code path} is the model's folder itself
     */
    public record Version(String model, long version, Path path, boolean flat) {
        public boolean complete() {
            return path == null || Files.isRegularFile(path.resolve(ModelSpec.FILE_NAME)); // null: the embedded model
        }
    }

    private ModelFolders() {}

    /**
     * Every version of every model in {@code modelDir}, by folder name then version; a version folder without
     * a model.json (yet) is listed too, not {@link Version#complete()}. Folders that are neither are ignored.
     */
    public static List<Version> versions(Path modelDir) {
        if (!Files.isDirectory(modelDir)) {
            throw new ModelLoadException("resnet.model-dir " + modelDir + " is not a folder", null);
        }
        List<Version> versions = new ArrayList<>();
        try (Stream<Path> children = Files.list(modelDir)) {
            for (Path model : children.filter(Files::isDirectory).sorted().toList()) {
                versions.addAll(versionsOf(model));
            }
        } catch (IOException e) {
            throw new ModelLoadException("resnet.model-dir " + modelDir + ": " + e.getMessage(), e);
        }
        return versions;
    }

    /**
     * The versions in one model's folder, lowest first: its positive integer folders, and a model.json of
     * its own as version 1 (unless a folder {@code 1} exists), so a flat folder gains a version 2 by a
     * folder {@code 2} beside its files. Empty where it holds neither.
     */
    public static List<Version> versionsOf(Path model) throws IOException {
        String name = model.getFileName().toString();
        if (!Files.isDirectory(model)) {
            return List.of();
        }
        List<Version> versions = new ArrayList<>();
        try (Stream<Path> children = Files.list(model)) {
            children.filter(Files::isDirectory)
                    .filter(d -> VERSION.matcher(d.getFileName().toString()).matches())
                    .forEach(d -> versions.add(new Version(name, Long.parseLong(d.getFileName().toString()), d, false)));
        }
        if (Files.isRegularFile(model.resolve(ModelSpec.FILE_NAME)) && versions.stream().noneMatch(v -> v.version() == 1)) {
            versions.add(new Version(name, 1, model, true));
        }
        versions.sort(Comparator.comparingLong(Version::version));
        return versions;
    }

    /** The folders in {@code modelDir}, sorted by name; null: the embedded default model. */
    public static List<ModelFolder> in(Path modelDir) {
        if (modelDir == null) {
            try {
                return List.of(ModelFolder.embedded());
            } catch (ModelLoadException e) {
                throw new ModelLoadException("no model configured and no embedded default model ("
                        + e.getMessage() + "): set resnet.model-dir to a folder of model folders, each with a "
                        + ModelSpec.FILE_NAME, e);
            }
        }
        if (!Files.isDirectory(modelDir)) {
            throw new ModelLoadException("resnet.model-dir " + modelDir + " is not a folder", null);
        }
        try (Stream<Path> children = Files.list(modelDir)) {
            var folders = children.filter(d -> Files.isRegularFile(d.resolve(ModelSpec.FILE_NAME)))
                    .sorted()
                    .map(d -> ModelFolder.open(ModelFolder.ModelSource.directory(d)))
                    .toList();
            if (folders.isEmpty()) {
                throw new ModelLoadException("resnet.model-dir " + modelDir + " holds no folder with a "
                        + ModelSpec.FILE_NAME, null);
            }
            return folders;
        } catch (IOException e) {
            throw new ModelLoadException("resnet.model-dir " + modelDir + ": " + e.getMessage(), e);
        }
    }
}
