package io.resnetservice.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's python3-torch and python3-torchvision, for reference numbers made at test time. CI installs
 * them; elsewhere the tests that need them are skipped with the reason.
 */
public final class Python {

    public static final String PYTHON = "/usr/bin/python3";

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
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
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
