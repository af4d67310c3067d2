package io.resnetservice.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.resnetservice.model.ModelFolder;
import io.resnetservice.model.ModelLoadException;
import io.resnetservice.model.ModelSpec;
import io.resnetservice.support.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFoldersTest {

    static final Path ONE = TestModels.repositoryWithRandomFashionModel().resolve(TestModels.NAME);

    static void copyAs(Path repository, String folder, String name) throws IOException {
        Path dir = TestModels.copyFolder(ONE, repository.resolve(folder));
        ModelFolder.writeSpec(dir, TestModels.fashionSpec(name));
    }

    @Test
    void everyFolderWithAModelJsonSortedByFolderName(@TempDir Path repository) throws IOException {
        copyAs(repository, "zeta", "first-by-name-not");
        copyAs(repository, "alpha", "second");
        Files.createDirectories(repository.resolve("notes"));
        Files.writeString(repository.resolve("notes").resolve("README"), "not a model");
        Files.writeString(repository.resolve(ModelSpec.FILE_NAME), "{}");
        var folders = ModelFolders.in(repository);
        assertEquals(2, folders.size(), "folders without a model.json, and files, are not models");
        assertEquals("second", folders.get(0).spec().name());
        assertEquals("first-by-name-not", folders.get(1).spec().name());
    }

    @Test
    void noFolderMeansTheEmbeddedModel() {
        var folders = ModelFolders.in(null);
        assertEquals(1, folders.size());
        assertEquals(ModelFolder.embedded().spec(), folders.get(0).spec());
    }

    @Test
    void aMissingOrEmptyFolderIsNamed(@TempDir Path repository) throws IOException {
        Path missing = repository.resolve("missing");
        assertEquals("resnet.model-dir " + missing + " is not a folder",
                assertThrows(ModelLoadException.class, () -> ModelFolders.in(missing)).getMessage());
        Path file = Files.writeString(repository.resolve("file"), "x");
        assertEquals("resnet.model-dir " + file + " is not a folder",
                assertThrows(ModelLoadException.class, () -> ModelFolders.in(file)).getMessage());
        Path empty = Files.createDirectories(repository.resolve("empty"));
        Files.createDirectories(empty.resolve("no-model"));
        assertEquals("resnet.model-dir " + empty + " holds no folder with a model.json",
                assertThrows(ModelLoadException.class, () -> ModelFolders.in(empty)).getMessage());
    }

    @Test
    void versionsAreNumberedFoldersAndAFlatFolderIsVersionOne(@TempDir Path repository) throws IOException {
        copyAs(repository.resolve("flat"), "", "flat");
        Files.createDirectories(repository.resolve("versioned"));
        copyAs(repository.resolve("versioned"), "1", "versioned");
        copyAs(repository.resolve("versioned"), "10", "versioned");
        Files.createDirectories(repository.resolve("versioned").resolve("3")); // being copied: no model.json yet
        Files.createDirectories(repository.resolve("versioned").resolve("02")); // not a version: a leading zero
        Files.createDirectories(repository.resolve("versioned").resolve("latest"));
        copyAs(repository.resolve("grown"), "", "grown");
        copyAs(repository.resolve("grown"), "2", "grown");
        var versions = ModelFolders.versions(repository);
        assertEquals(List.of("flat 1 true true", "grown 1 true true", "grown 2 false true", "versioned 1 false true",
                "versioned 3 false false", "versioned 10 false true"), versions.stream()
                .map(v -> v.model() + " " + v.version() + " " + v.flat() + " " + v.complete()).toList());
        assertEquals(repository.resolve("versioned").resolve("10"), versions.get(5).path());
        assertEquals(repository.resolve("grown"), versions.get(1).path(), "a flat folder's own files are version 1");
    }
}
