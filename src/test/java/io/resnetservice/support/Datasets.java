package io.resnetservice.support;

import io.resnetservice.training.FashionMnist;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Tests that need Fashion-MNIST run in CI (which installs it) and are skipped, saying why, elsewhere. */
public final class Datasets {

    private Datasets() {}

    public static Path fashionMnist() {
        Path dir = FashionMnist.DEFAULT_DIR;
        if (System.getenv("CI") == null) {
            Assumptions.assumeTrue(FashionMnist.isInstalled(dir),
                    "Fashion-MNIST is not installed in " + dir + " (apt-get install dataset-fashion-mnist)");
        }
        return dir;
    }
}
