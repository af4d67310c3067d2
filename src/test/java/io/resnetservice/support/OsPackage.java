package io.resnetservice.support;

import io.resnetservice.image.ImageDecoder;
import io.resnetservice.image.JpegLibrary;
import io.resnetservice.training.FashionMnist;
import io.resnetservice.training.OutOfDistribution;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The optional Debian packages some tests need. A test that needs one names it with {@link Requires}; outside
 * CI a missing package skips the test (or the whole class, before its {@code @BeforeAll}) with the package's
 * name, and under {@code CI=true} the test runs and fails as it would.
 */
public enum OsPackage {
    FASHION_MNIST("dataset-fashion-mnist", () -> FashionMnist.isInstalled(FashionMnist.DEFAULT_DIR)),
    TORCHVISION("python3-torchvision", () -> pythonImports("import torch, torchvision")),
    SKIMAGE("python3-skimage", () -> Files.isDirectory(OutOfDistribution.SKIMAGE_DATA)),
    TURBOJPEG("libturbojpeg0", () -> ImageDecoder.available(JpegLibrary.SYSTEM_TURBOJPEG)),
    GRPC_PYTHON("python3-grpcio python3-protobuf protobuf-compiler protobuf-compiler-grpc",
            () -> Files.isExecutable(Path.of("/usr/bin/protoc")) && Files.isExecutable(Path.of(Python.GRPC_PYTHON_PLUGIN))
                    && pythonImports("import grpc, google.protobuf")),
    CHROMIUM("chromium chromium-driver",
            () -> Files.isExecutable(Path.of("/usr/bin/chromium")) && Files.isExecutable(Path.of("/usr/bin/chromedriver")));

    private final String debian;
    private final BooleanSupplier check;
    private volatile Boolean installed;

    OsPackage(String debian, BooleanSupplier check) {
        this.debian = debian;
        this.check = check;
    }

    /** The Debian package(s) to install. */
    public String debian() {
        return debian;
    }

    public boolean installed() {
        Boolean known = installed;
        if (known == null) {
            known = check.getAsBoolean();
            installed = known;
        }
        return known;
    }

    /** Whether a test needing this package runs here: always under CI, where a missing package must fail. */
    public boolean testable() {
        return inCi() || installed();
    }

    /** The skip reason: names what to install. */
    public String missing() {
        return "needs Debian's " + debian + " (apt-get install " + debian + ")";
    }

    public static boolean inCi() {
        return System.getenv("CI") != null;
    }

    private static boolean pythonImports(String imports) {
        try {
            Process p = new ProcessBuilder(Python.PYTHON, "-c", imports).redirectErrorStream(true).start();
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
