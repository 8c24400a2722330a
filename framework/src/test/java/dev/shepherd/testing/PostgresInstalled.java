package dev.shepherd.testing;

import dev.shepherd.storage.Dialect;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Skips every test, saying why, when this JVM's tests run on PostgreSQL ({@link TestStore}) and PostgreSQL is not
 * installed, before any set-up runs (set-up that opens a store would otherwise fail its tear-down instead). Registered
 * for the whole run through JUnit's extension auto-detection ({@code META-INF/services}), which the framework's
 * PostgreSQL test run switches on.
 */
public final class PostgresInstalled implements ExecutionCondition {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (TestStore.engine() == Dialect.POSTGRESQL && !TestPostgres.installed()) {
            return ConditionEvaluationResult.disabled(TestPostgres.NOT_INSTALLED);
        }
        return ConditionEvaluationResult.enabled("the store engine of this run is available");
    }
}
