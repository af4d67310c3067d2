package io.resnetservice.runtime;

import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelLoadException;
import io.resnetservice.model.ModelSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The model folders a service serves: each folder with a model.json in a folder of them, or the embedded one. */
public final class ModelFolders {

    private ModelFolders() {}

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
