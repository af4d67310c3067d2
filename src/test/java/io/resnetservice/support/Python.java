package io.resnetservice.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's python3-torch and python3-torchvision, for reference numbers made at test time. CI installs
 * them; elsewhere the tests that need them are skipped with the reason.
 */
public final class Python {

    public static final String PYTHON = "/usr/bin/python3";
    /** protobuf-compiler-grpc's plugin that writes Python gRPC stubs. */
    public static final String GRPC_PYTHON_PLUGIN = "/usr/bin/grpc_python_plugin";

    private Python() {}

    public static void assumeTorchvision() {
        Assumptions.assumeTrue(OsPackage.TORCHVISION.testable(), OsPackage.TORCHVISION.missing());
    }

    /** tools/make_photo.py's photographs: Debian's python3-skimage, with torchvision for the references. */
    public static void assumePhotographs() {
        assumeTorchvision();
        Assumptions.assumeTrue(OsPackage.SKIMAGE.testable(), OsPackage.SKIMAGE.missing());
    }

    /** Runs a script under tools/ and fails the test with its output if it fails. */
    public static String tool(String script, String... args) {
        List<String> command = new ArrayList<>(List.of(PYTHON, Path.of("tools", script).toString()));
        command.addAll(List.of(args));
        return run(command, Map.of());
    }

    /**
     * Generates the Python client of {@code src/main/protobuf/grpc_predict_v2.proto} into {@code dir}
     * (protoc's messages and grpc_python_plugin's stubs), as the README tells a user to.
     */
    public static void generateGrpcClient(Path dir) {
        run(List.of("/usr/bin/protoc", "-I", "src/main/protobuf", "--python_out=" + dir, "--grpc_out=" + dir,
                "--plugin=protoc-gen-grpc=" + GRPC_PYTHON_PLUGIN, "grpc_predict_v2.proto"), Map.of());
    }

    /** Runs a command with extra environment variables; fails the test with its output if it fails. */
    public static String run(List<String> command, Map<String, String> environment) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().putAll(environment);
            Process p = builder.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(5, TimeUnit.MINUTES);
            assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + output);
            return output;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
