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

    /**
     * For {@code @EnabledIf} on classes that need Fashion-MNIST before their application starts: true in CI
     * (where a missing dataset must fail, not skip) and wherever it is installed.
     */
    public static boolean fashionMnistAvailable() {
        return System.getenv("CI") != null || FashionMnist.isInstalled(FashionMnist.DEFAULT_DIR);
    }
}
