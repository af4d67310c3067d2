package io.resnetservice.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which package may use which, read from the sources (imports and fully qualified names alike): the
 * runtime and everything below it run without Spring; training uses the runtime, never serving or web;
 * serving never reaches up into web or grpc; the two doors (web, grpc) never use each other.
 */
class PackageDependenciesTest {

    static final Path MAIN = Path.of("src/main/java/io/resnetservice");

    @ParameterizedTest(name = "{0} does not use {1}")
    @CsvSource(delimiter = ';', value = {
        "runtime; org\\.springframework|io\\.resnetservice\\.(serving|web|config|training)\\.",
        "model; org\\.springframework|io\\.resnetservice\\.(runtime|serving|web|config|training|preprocess|image)\\.",
        "buffers; org\\.springframework|io\\.resnetservice\\.(?!buffers\\b)",
        "image; org\\.springframework|io\\.resnetservice\\.(runtime|serving|web|config|training|preprocess)\\.",
        "preprocess; org\\.springframework|io\\.resnetservice\\.(runtime|serving|web|config|training)\\.",
        "training; io\\.resnetservice\\.(serving|web)\\.",
        "serving; io\\.resnetservice\\.(web|repository|grpc|explain)\\.",
        "explain; org\\.springframework\\.web|io\\.resnetservice\\.(web|grpc|training|repository)\\.",
        "repository; io\\.resnetservice\\.(web|training|grpc)\\.",
        "grpc; io\\.resnetservice\\.(web|training)\\.",
        "web; io\\.resnetservice\\.grpc\\."})
    void packageUsesOnlyWhatItMay(String pkg, String forbidden) throws IOException {
        Pattern pattern = Pattern.compile(forbidden);
        List<String> violations = new ArrayList<>();
        Path dir = MAIN.resolve(pkg);
        assertTrue(Files.isDirectory(dir), dir + " exists");
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    if (pattern.matcher(lines.get(i)).find()) {
                        violations.add(MAIN.relativize(file) + ":" + (i + 1) + ": " + lines.get(i).trim());
                    }
                }
            }
        }
        assertEquals(List.of(), violations);
    }
}
