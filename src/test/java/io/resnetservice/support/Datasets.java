package io.resnetservice.support;

import io.resnetservice.training.FashionMnist;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Tests that need Fashion-MNIST run in CI (which installs it) and are skipped, saying why, elsewhere. */
public final class Datasets {

    private Datasets() {}

    public static Path fashionMnist() {
        Path dir = FashionMnist.DEFAULT_DIR;
        Assumptions.assumeTrue(OsPackage.FASHION_MNIST.testable(), OsPackage.FASHION_MNIST.missing() + ", in " + dir);
        return dir;
    }
}
