package io.resnetservice.support;

import java.util.ArrayList;
import java.util.List;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Says at the end of a run which tests did not run and why: outside CI, tests that need an optional package
 * ({@link OsPackage}) skip, and a skip should never pass unseen. A skipped or aborted class counts the tests
 * it held, which a build tool's summary does not show.
 */
public final class SkipReport implements TestExecutionListener {

    private final List<String> skipped = new ArrayList<>();
    private TestPlan plan;
    private int tests;

    @Override
    public void testPlanExecutionStarted(TestPlan testPlan) {
        plan = testPlan;
    }

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        record(test, test.getDisplayName(), reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            record(test, test.getLegacyReportingName(),
                    result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
        }
    }

    private void record(TestIdentifier test, String name, String reason) {
        // A class's methods, parameterised ones included (their invocations are not known before they run).
        long count = test.isTest() ? 1 : plan == null ? 0 : plan.getDescendants(test).stream()
                .filter(t -> t.getSource().filter(MethodSource.class::isInstance).isPresent()).count();
        tests += (int) count;
        skipped.add(name + (test.isTest() ? "" : " (" + count + " test methods)") + ": " + reason);
    }

    @Override
    public void testPlanExecutionFinished(TestPlan testPlan) {
        if (!skipped.isEmpty()) {
            System.out.println("SKIPPED " + tests + " test(s) or test methods, and why:");
            skipped.forEach(s -> System.out.println("  SKIPPED " + s));
        }
    }
}
