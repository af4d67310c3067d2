package io.resnetservice.support;

import java.util.ArrayList;
import java.util.List;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Says at the end of a run which tests did not run and why: outside CI, tests that need Fashion-MNIST,
 * torch, photographs or chromium skip through JUnit assumptions, and a skip should never pass unseen.
 */
public final class SkipReport implements TestExecutionListener {

    private final List<String> skipped = new ArrayList<>();

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        skipped.add(test.getDisplayName() + ": " + reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            skipped.add(test.getLegacyReportingName() + ": "
                    + result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
        }
    }

    @Override
    public void testPlanExecutionFinished(TestPlan plan) {
        if (!skipped.isEmpty()) {
            System.out.println("SKIPPED " + skipped.size() + " test(s) or class(es), and why:");
            skipped.forEach(s -> System.out.println("  SKIPPED " + s));
        }
    }
}
