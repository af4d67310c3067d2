package io.resnetservice.training;

import java.io.PrintStream;
import java.util.Locale;

/** One terminal line, redrawn in place: epoch, step, loss, accuracy, images/s and time left. */
final class ProgressBar {
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final int epoch;
    private final int epochs;
    private final int steps;
    private final long start = System.nanoTime();
    private long lastDraw;

    ProgressBar(PrintStream out, int epoch, int epochs, int steps) {
        this.out = out;
        this.epoch = epoch;
        this.epochs = epochs;
        this.steps = steps;
    }

    void update(int step, double loss, double accuracy, int batchSize, float learningRate) {
        long now = System.nanoTime();
        if (step != steps && now - lastDraw < 500_000_000L) {
            return;
        }
        lastDraw = now;
        double seconds = (now - start) / 1e9;
        double imagesPerSecond = step * batchSize / Math.max(seconds, 1e-9);
        double eta = (steps - step) * (seconds / step);
        int filled = (int) ((long) WIDTH * step / steps);
        out.printf(Locale.ROOT, "\repoch %d/%d [%s%s] %d/%d loss %.4f acc %.4f lr %.4f %.0f img/s ETA %s ",
                epoch, epochs, "=".repeat(filled), " ".repeat(WIDTH - filled), step, steps, loss, accuracy,
                learningRate, imagesPerSecond, format(eta));
        out.flush();
    }

    private static String format(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
