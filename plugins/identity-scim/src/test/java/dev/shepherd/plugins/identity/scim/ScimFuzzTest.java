package dev.shepherd.plugins.identity.scim;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes what a SCIM client's bytes go through before anything is stored: filters (parsed, checked against the User
 * schema and evaluated), resource bodies (read and brought into canonical form) and PATCH bodies (applied to a user).
 * Whatever the bytes, the outcome is a result or a {@link ScimException} with a 4xx status (a SCIM error response);
 * nothing else escapes.
 *
 * <p>{@code mvn verify} replays the corpus in {@code ScimFuzzTestInputs/} (Entra ID and Okta requests, attacks);
 * {@code JAZZER_FUZZ=1} fuzzes (see "Fuzzing" in docs/plugin-guide.md).
 */
class ScimFuzzTest {

    private static final ObjectNode USER = FilterTest.json("""
            {"userName": "fuzz@example.com", "active": true, "name": {"givenName": "Fuzz"},
             "emails": [{"value": "fuzz@example.com", "type": "work", "primary": true}],
             "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "QA"}}
            """);

    @FuzzTest(maxDuration = "5m")
    void filters(byte[] bytes) {
        try {
            Filter filter = FilterParser.parse(new String(bytes, StandardCharsets.UTF_8));
            FilterEvaluator.check(filter, ResourceType.USER);
            FilterEvaluator.matches(filter, USER, ResourceType.USER);
        } catch (ScimException refused) {
            assertThat(refused.status()).isBetween(400, 499);
        }
    }

    @FuzzTest(maxDuration = "5m")
    void resources(byte[] body) {
        try {
            JsonNode json = ScimJson.read(body);
            if (json instanceof ObjectNode object) {
                assertThat(Values.canonical(object, ResourceType.USER)).isNotNull();
                assertThat(Values.canonical(object, ResourceType.GROUP)).isNotNull();
            }
        } catch (ScimException refused) {
            assertThat(refused.status()).isBetween(400, 499);
        }
    }

    @FuzzTest(maxDuration = "5m")
    void patches(byte[] body) {
        try {
            assertThat(Patch.apply(ResourceType.USER, "fuzz-id", USER, ScimJson.read(body))).isNotNull();
        } catch (ScimException refused) {
            assertThat(refused.status()).isBetween(400, 499);
        }
    }
}
