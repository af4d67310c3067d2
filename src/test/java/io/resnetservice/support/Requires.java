package io.resnetservice.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The optional packages a test class or method needs. On a class it is decided before {@code @BeforeAll} and
 * before any Spring context starts, so a missing package is one named skip, never an aborted class that
 * reports no tests ({@link SkipReport} says how many tests the skip covers).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(Requires.Condition.class)
public @interface Requires {

    OsPackage[] value();

    final class Condition implements ExecutionCondition {

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return context.getElement()
                    .flatMap(element -> AnnotationSupport.findAnnotation(element, Requires.class))
                    .map(requires -> {
                        String missing = Arrays.stream(requires.value()).filter(p -> !p.testable())
                                .map(OsPackage::missing).collect(Collectors.joining("; "));
                        return missing.isEmpty() ? ConditionEvaluationResult.enabled("installed")
                                : ConditionEvaluationResult.disabled(missing);
                    })
                    .orElse(ConditionEvaluationResult.enabled("needs no optional package"));
        }
    }
}
