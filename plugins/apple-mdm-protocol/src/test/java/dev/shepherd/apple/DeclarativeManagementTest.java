package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
import com.dd.plist.NSObject;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.apple.DeclarativeManagement.Declaration;
import dev.shepherd.apple.DeclarativeManagement.DeclarationStatus;
import dev.shepherd.apple.DeclarativeManagement.SettingOutcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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

    private static final ObjectMapper JSON = new ObjectMapper();
    private final DeclarativeManagement declarative = new DeclarativeManagement(Clock.systemUTC());
    private final List<Declaration> passcode = SettingDeclarations.compile("passcode", "passcode", Map.of("minLength", 8), SettingProfiles.Os.IOS);

    @Test
    void aDeviceIsServedTheStatusSubscriptionAndItsOwnSettingsDeclarationsActivated() throws Exception {
        List<Declaration> served = declarative.served(passcode);
        JsonNode items = answer("declaration-items", served);
        assertThat(items.path("Declarations").path("Configurations").findValuesAsText("Identifier"))
                .containsExactly("dev.shepherd.status-subscriptions", "dev.shepherd.setting.passcode");
        assertThat(items.path("Declarations").path("Activations").findValuesAsText("Identifier"))
                .containsExactly("dev.shepherd.activation", "dev.shepherd.setting.passcode.activation");

        JsonNode declaration = answer("declaration/configuration/dev.shepherd.setting.passcode", served);
        assertThat(declaration.path("Type").asText()).isEqualTo("com.apple.configuration.passcode.settings");
        assertThat(declaration.path("Payload").path("MinimumLength").asInt()).isEqualTo(8);
        assertThat(declaration.path("ServerToken").asText()).isEqualTo(declarative.serverToken(passcode.get(0)));
        assertThat(declarative.handle("declaration/configuration/dev.shepherd.setting.passcode", Optional.empty(), declarative.served(List.of()),
                inventory -> { }, statuses -> { }).status()).as("another device's declaration").isEqualTo(404);
        JsonNode subscriptions = answer("declaration/configuration/dev.shepherd.status-subscriptions", served);
        assertThat(subscriptions.path("Payload").path("StatusItems").findValuesAsText("Name")).contains("management.declarations");
    }

    @Test
    void theTokensChangeWheneverADevicesDeclarationsChangeAndOnlyThen() throws Exception {
        String none = answer("tokens", declarative.served(List.of())).path("SyncTokens").path("DeclarationsToken").asText();
        String withPasscode = answer("tokens", declarative.served(passcode)).path("SyncTokens").path("DeclarationsToken").asText();
        List<Declaration> stricter = SettingDeclarations.compile("passcode", "passcode", Map.of("minLength", 10), SettingProfiles.Os.IOS);
        String withStricter = answer("tokens", declarative.served(stricter)).path("SyncTokens").path("DeclarationsToken").asText();

        assertThat(List.of(none, withPasscode, withStricter)).doesNotHaveDuplicates();
        assertThat(answer("tokens", declarative.served(passcode)).path("SyncTokens").path("DeclarationsToken").asText())
                .as("the same declarations, the same token, also in another run").isEqualTo(withPasscode)
                .isEqualTo(answer("tokens", new DeclarativeManagement(Clock.systemUTC()).served(
                        SettingDeclarations.compile("passcode", "passcode", Map.of("minLength", 8), SettingProfiles.Os.IOS))).path("SyncTokens").path("DeclarationsToken").asText());
        assertThat(declarative.serverToken(stricter.get(0))).isNotEqualTo(declarative.serverToken(passcode.get(0)));
    }

    @Test
    void aStatusReportNestedPastTheBoundIsA400AndRecordsNothing() {
        byte[] nested = ("{\"StatusItems\": " + "{\"a\": ".repeat(100) + "1" + "}".repeat(100) + "}").getBytes(StandardCharsets.UTF_8);
        List<DeclarationStatus> reported = new ArrayList<>();
        List<Map<String, String>> inventories = new ArrayList<>();
        assertThat(declarative.handle("status", Optional.of(nested), declarative.served(passcode), inventories::add, reported::addAll).status())
                .isEqualTo(400);
        assertThat(reported).isEmpty();
        assertThat(inventories).isEmpty();
    }

    @Test
    void aStatusReportOnTheDeclarationsDecidesTheSettingsState() {
        String configuration = declarative.serverToken(passcode.get(0));
        String activation = declarative.serverToken(passcode.get(1));
        byte[] report = ("""
                {"StatusItems": {"management": {"declarations": {
                  "activations": [{"identifier": "dev.shepherd.setting.passcode.activation", "server-token": "%s", "active": true, "valid": "valid"}],
                  "configurations": [{"identifier": "dev.shepherd.setting.passcode", "server-token": "%s", "active": false, "valid": "invalid",
                                      "reasons": [{"code": "Error.ConfigurationCannotBeApplied", "description": "Passcode policy conflicts"}]}],
                  "assets": [], "management": []}}}}""").formatted(activation, configuration).getBytes(StandardCharsets.UTF_8);
        List<DeclarationStatus> reported = new ArrayList<>();
        assertThat(declarative.handle("status", Optional.of(report), declarative.served(passcode), inventory -> { }, reported::addAll).status())
                .isEqualTo(200);
        Map<String, DeclarationStatus> byIdentifier = new HashMap<>();
        reported.forEach(status -> byIdentifier.put(status.identifier(), status));

        assertThat(declarative.outcome(passcode, byIdentifier)).hasValueSatisfying(outcome -> {
            assertThat(outcome.state()).isEqualTo(SettingState.FAILED);
            assertThat(outcome.reason()).hasValueSatisfying(reason -> assertThat(reason)
                    .contains("dev.shepherd.setting.passcode: Passcode policy conflicts (Error.ConfigurationCannotBeApplied)"));
        });
        byIdentifier.put("dev.shepherd.setting.passcode", new DeclarationStatus("dev.shepherd.setting.passcode", configuration, true, "valid", List.of()));
        assertThat(declarative.outcome(passcode, byIdentifier)).contains(new SettingOutcome(SettingState.INSTALLED, Optional.empty()));
        byIdentifier.put("dev.shepherd.setting.passcode", new DeclarationStatus("dev.shepherd.setting.passcode", "an older version", false,
                "invalid", List.of("old")));
        assertThat(declarative.outcome(passcode, byIdentifier)).as("a report about another version says nothing about this one").isEmpty();
        assertThat(declarative.outcome(passcode, Map.of())).isEmpty();
    }

    private JsonNode answer(String endpoint, List<Declaration> served) throws Exception {
        DeclarativeManagement.Answer answer = declarative.handle(endpoint, Optional.empty(), served, inventory -> { }, statuses -> { });
        assertThat(answer.status()).as(endpoint).isEqualTo(200);
        return JSON.readTree(answer.json());
    }
}
