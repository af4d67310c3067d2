package io.resnetservice.training;

/** Placeholder replaced below. */
public final class EvaluateCommand {
    public static void main(String[] args) {
        throw new IllegalStateException("evaluate: not built yet");
    }
}
