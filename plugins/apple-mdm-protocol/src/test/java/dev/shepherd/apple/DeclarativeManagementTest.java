package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
import com.dd.plist.NSObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Clock;

import static org.assertj.core.api.Assertions.assertThat;

class DeclarativeManagementTest {

    @ParameterizedTest
    @ValueSource(strings = {"iOS", "macOS"})
    void everyDeclarationIsValidAgainstApplesSchemas(String os) {
        for (DeclarativeManagement.Declaration declaration : new DeclarativeManagement(Clock.systemUTC()).declarations()) {
            NSDictionary payload = (NSDictionary) NSObject.fromJavaObject(declaration.payload());
            assertThat(new AppleProfileSchema().declarationViolations(declaration.type(), payload, os))
                    .as(declaration.identifier()).isEmpty();
        }
        NSDictionary wrong = new NSDictionary();
        wrong.put("StatusItem", "device.operating-system.version");
        assertThat(new AppleProfileSchema().declarationViolations("com.apple.configuration.management.status-subscriptions", wrong, os))
                .as("the check is real").anySatisfy(violation -> assertThat(violation).contains("StatusItems"));
    }
}
