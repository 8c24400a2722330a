package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.shepherd.plugins.identity.scim.EntraIdProvisioningTest.query;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * RFC 7644 as the service answers it beyond what Entra ID and Okta exercise: bearer authentication, SCIM error
 * responses with their {@code scimType}, ETags with {@code If-Match} and {@code If-None-Match}, paging, attribute
 * selection, uniqueness, nested groups, the discovery documents, and what the server's directory refuses.
 */
class ScimProtocolTest {

    private final ScimHarness scim = new ScimHarness(Map.of("maxResults", "3"));

    @Test
    void withoutAValidBearerTokenEveryRequestIsRefusedWith401AndAChallenge() {
        ScimHarness.Answer none = scim.sendRaw("GET", "/Users", null, Map.of());
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"scim\"");
        assertThat(none.json().path("schemas").get(0).asText()).isEqualTo("urn:ietf:params:scim:api:messages:2.0:Error");
        assertThat(none.json().path("status").asText()).isEqualTo("401");

        for (String wrong : new String[] {"Bearer " + scim.token + "x", "Bearer ", "Basic " + scim.token, scim.token}) {
            ScimHarness.Answer refused = scim.sendRaw("GET", "/ServiceProviderConfig", null, Map.of("Authorization", List.of(wrong)));
            assertThat(refused.status()).as(wrong).isEqualTo(401);
        }
        assertThat(scim.sendRaw("GET", "/Users", null, Map.of("Authorization", List.of("bearer " + scim.token))).status())
                .as("the scheme in any case").isEqualTo(200);

        String id = scim.tokens.all().get(0).id();
        String rotated = scim.tokens.rotate(id, "admin").orElseThrow().secret();
        assertThat(scim.send("GET", "/Users", null).status()).as("the old secret stops working").isEqualTo(401);
        assertThat(scim.sendRaw("GET", "/Users", null, Map.of("Authorization", List.of("Bearer " + rotated))).status()).isEqualTo(200);
        assertThat(scim.tokens.revoke(id)).isTrue();
        ScimHarness.Answer revoked = scim.sendRaw("GET", "/Users", null, Map.of("Authorization", List.of("Bearer " + rotated)));
        assertThat(revoked.status()).isEqualTo(401);
        assertThat(revoked.header("WWW-Authenticate")).contains("error=\"invalid_token\"");
        assertThat(scim.storage.keys("token/")).isEmpty();
        BearerTokens.IssuedToken issued = scim.tokens.issue("another", "admin");
        assertThat(new String(scim.storage.get("token/" + issued.info().id()).orElseThrow(), StandardCharsets.UTF_8))
                .as("only the hash is kept").doesNotContain(issued.secret()).contains("sha256");
        assertThat(issued.toString()).doesNotContain(issued.secret());
    }

    @Test
    void versionsAreWeakETagsThatIfMatchAndIfNoneMatchCompareWith() {
        ScimHarness.Answer created = createUser("etag@example.com");
        String id = created.json().path("id").asText();
        assertThat(scim.send("GET", "/Users/" + id, null, "If-None-Match", "W/\"1\"").status()).isEqualTo(304);
        assertThat(scim.send("GET", "/Users/" + id, null, "If-None-Match", "W/\"0\"").status()).isEqualTo(200);

        String patch = """
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "title", "value": "%s"}]}
                """;
        ScimHarness.Answer changed = scim.send("PATCH", "/Users/" + id, patch.formatted("Engineer"), "If-Match", "W/\"1\"");
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.header("ETag")).isEqualTo("W/\"2\"");
        ScimHarness.Answer stale = scim.send("PATCH", "/Users/" + id, patch.formatted("Manager"), "If-Match", "W/\"1\"");
        assertThat(stale.status()).isEqualTo(412);
        assertThat(stale.json().path("status").asText()).isEqualTo("412");
        assertThat(scim.send("DELETE", "/Users/" + id, null, "If-Match", "W/\"1\"").status()).isEqualTo(412);
        assertThat(scim.send("PATCH", "/Users/" + id, patch.formatted("Engineer"), "If-Match", "*").header("ETag"))
                .as("a change that changes nothing keeps the version").isEqualTo("W/\"2\"");
        assertThat(scim.send("DELETE", "/Users/" + id, null, "If-Match", "W/\"2\"").status()).isEqualTo(204);
    }

    @Test
    void listsArePagedFromOneAndBoundedByMaxResults() {
        for (int i = 1; i <= 5; i++) {
            createUser("page" + i + "@example.com");
            scim.clock.advance(Duration.ofSeconds(1));
        }
        JsonNode page = scim.send("GET", "/Users?startIndex=2&count=2", null).json();
        assertThat(page.path("totalResults").asInt()).isEqualTo(5);
        assertThat(page.path("startIndex").asInt()).isEqualTo(2);
        assertThat(page.path("itemsPerPage").asInt()).isEqualTo(2);
        assertThat(page.path("Resources")).extracting(user -> user.path("userName").asText()).containsExactly("page2@example.com", "page3@example.com");
        assertThat(scim.send("GET", "/Users?count=100", null).json().path("itemsPerPage").asInt()).as("maxResults is 3").isEqualTo(3);
        assertThat(scim.send("GET", "/Users?startIndex=0&count=0", null).json().path("Resources")).isEmpty();
        assertThat(scim.send("GET", "/Users?startIndex=9", null).json().path("totalResults").asInt()).isEqualTo(5);
        JsonNode filtered = scim.send("GET", "/Users?filter=" + query("userName sw \"page\" and not (userName ew \"1@example.com\")") + "&count=10", null).json();
        assertThat(filtered.path("totalResults").asInt()).isEqualTo(4);
        assertThat(scim.send("GET", "/Users?count=ten", null).json().path("scimType").asText()).isEqualTo("invalidValue");
    }

    @Test
    void attributesAndExcludedAttributesChooseWhatIsReturned() {
        String id = scim.send("POST", "/Users", """
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                 "userName": "attrs@example.com", "name": {"givenName": "Attr", "familyName": "Ibutes"}, "title": "Tester",
                 "emails": [{"value": "attrs@example.com", "type": "work"}],
                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "QA", "employeeNumber": "7"}}
                """).json().path("id").asText();
        JsonNode some = scim.send("GET", "/Users/" + id + "?attributes=userName,name.givenName,emails.value,"
                + "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", null).json();
        assertThat(some.path("id").asText()).isEqualTo(id);
        assertThat(some.path("userName").asText()).isEqualTo("attrs@example.com");
        assertThat(some.path("name").path("givenName").asText()).isEqualTo("Attr");
        assertThat(some.path("name").has("familyName")).isFalse();
        assertThat(some.path("emails").get(0).has("type")).isFalse();
        assertThat(some.path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").path("department").asText()).isEqualTo("QA");
        assertThat(some.path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").has("employeeNumber")).isFalse();
        assertThat(some.has("title")).isFalse();
        assertThat(some.has("meta")).isFalse();
        JsonNode fewer = scim.send("GET", "/Users?excludedAttributes=title,ID,name.familyName", null).json().path("Resources").get(0);
        assertThat(fewer.has("title")).isFalse();
        assertThat(fewer.path("id").asText()).as("id is always returned").isEqualTo(id);
        assertThat(fewer.path("name").has("familyName")).isFalse();
        assertThat(fewer.path("name").path("givenName").asText()).isEqualTo("Attr");
    }

    @Test
    void userNamesAndGroupNamesAreUniqueInAnyCaseAndADeletedUserComesBackAsThemselves() {
        String id = createUser("Unique@Example.com").json().path("id").asText();
        ScimHarness.Answer duplicate = createUser("unique@example.COM");
        assertThat(duplicate.status()).isEqualTo(409);
        assertThat(duplicate.json().path("scimType").asText()).isEqualTo("uniqueness");
        assertThat(scim.send("GET", "/Users?filter=" + query("userName eq \"UNIQUE@example.com\""), null).json().path("totalResults").asInt())
                .isEqualTo(1);

        String other = createUser("other@example.com").json().path("id").asText();
        ScimHarness.Answer rename = scim.send("PATCH", "/Users/" + other, """
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"userName": "UNIQUE@example.com"}}]}
                """);
        assertThat(rename.status()).isEqualTo(409);

        assertThat(scim.send("DELETE", "/Users/" + id, null).status()).isEqualTo(204);
        assertThat(scim.directory.users.get(id).active()).isFalse();
        ScimHarness.Answer back = createUser("unique@example.com");
        assertThat(back.status()).isEqualTo(201);
        assertThat(back.json().path("id").asText()).as("the same person").isEqualTo(id);
        assertThat(scim.directory.users.get(id).active()).isTrue();
        assertThat(scim.directory.users.get(id).username()).isEqualTo("unique@example.com");

        String group = """
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "%s"}
                """;
        assertThat(scim.send("POST", "/Groups", group.formatted("Sales")).status()).isEqualTo(201);
        assertThat(scim.send("POST", "/Groups", group.formatted("SALES")).json().path("scimType").asText()).isEqualTo("uniqueness");
    }

    @Test
    void groupsNestGroupsAndMembersMustExist() {
        String user = createUser("nested@example.com").json().path("id").asText();
        String inner = scim.send("POST", "/Groups", """
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Inner", "members": [{"value": "%s"}]}
                """.formatted(user)).json().path("id").asText();
        ScimHarness.Answer outer = scim.send("POST", "/Groups", """
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Outer", "members": [{"value": "%s"}]}
                """.formatted(inner));
        String outerId = outer.json().path("id").asText();
        assertThat(outer.json().path("members").get(0).path("type").asText()).isEqualTo("Group");
        assertThat(outer.json().path("members").get(0).path("$ref").asText())
                .isEqualTo(ScimHarness.PUBLIC_URL + "/mdm/identity-scim/scim/v2/Groups/" + inner);
        assertThat(scim.directory.groups.get(outerId).memberGroups()).containsExactly(inner);
        assertThat(scim.directory.groups.get(inner).memberUsers()).containsExactly(user);

        ScimHarness.Answer unknown = scim.send("PATCH", "/Groups/" + outerId, """
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "members", "value": [{"value": "nobody"}]}]}
                """);
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().path("scimType").asText()).isEqualTo("invalidValue");
        assertThat(scim.send("GET", "/Groups?filter=" + query("members[value eq \"" + inner + "\"]"), null).json().path("totalResults").asInt())
                .isEqualTo(1);

        assertThat(scim.send("DELETE", "/Groups/" + inner, null).status()).isEqualTo(204);
        assertThat(scim.send("GET", "/Groups/" + outerId, null).json().path("members")).as("a deleted group leaves its groups").isEmpty();
        assertThat(scim.directory.groups.get(outerId).memberGroups()).isEmpty();
    }

    @Test
    void badRequestsGetScimErrorsWithTheRightScimType() {
        String id = createUser("errors@example.com").json().path("id").asText();
        assertError(scim.send("GET", "/Users?filter=" + query("userName eq"), null), 400, "invalidFilter");
        assertError(scim.send("GET", "/Users?filter=" + query("active gt true"), null), 400, "invalidFilter");
        assertError(scim.send("POST", "/Users", "{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"], \"userName\": "), 400, "invalidSyntax");
        assertError(scim.send("POST", "/Users", "[]"), 400, "invalidSyntax");
        assertError(scim.send("POST", "/Users", "{\"userName\": \"noschema@example.com\"}"), 400, "invalidSyntax");
        assertError(scim.send("POST", "/Users", "{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"]}"), 400, "invalidValue");
        assertError(scim.send("POST", "/Users", "{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"], \"userName\": \"a\", \"active\": \"maybe\"}"),
                400, "invalidValue");
        assertError(scim.send("POST", "/Users", "{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"], \"userName\": \"has spaces\"}"),
                400, "invalidValue");
        assertThat(scim.send("GET", "/Users?filter=" + query("userName eq \"has spaces\""), null).json().path("totalResults").asInt())
                .as("what the directory refuses is not stored").isZero();
        String deep = "{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"], \"userName\": \"d\", \"x\": " + "[".repeat(100) + "]".repeat(100) + "}";
        assertError(scim.send("POST", "/Users", deep), 400, "invalidSyntax");
        String patch = "{\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"], \"Operations\": [%s]}";
        assertError(scim.send("PATCH", "/Users/" + id, patch.formatted("{\"op\": \"replace\", \"path\": \"nosuch\", \"value\": 1}")), 400, "invalidPath");
        assertError(scim.send("PATCH", "/Users/" + id, patch.formatted("{\"op\": \"replace\", \"path\": \"emails[type eq\", \"value\": 1}")), 400, "invalidPath");
        assertError(scim.send("PATCH", "/Users/" + id, patch.formatted("{\"op\": \"replace\", \"path\": \"id\", \"value\": \"x\"}")), 400, "mutability");
        assertError(scim.send("PATCH", "/Users/" + id, patch.formatted("{\"op\": \"replace\", \"value\": {\"id\": \"other\"}}")), 400, "mutability");
        assertError(scim.send("PATCH", "/Users/" + id, patch.formatted("{\"op\": \"remove\"}")), 400, "noTarget");
        assertError(scim.send("PATCH", "/Users/" + id, patch.formatted("{\"op\": \"replace\", \"path\": \"emails[value sw \\\"x\\\"].type\", \"value\": \"home\"}")),
                400, "noTarget");
        assertError(scim.send("PATCH", "/Users/" + id, patch.formatted("{\"op\": \"move\", \"path\": \"title\"}")), 400, "invalidSyntax");
        assertError(scim.send("PATCH", "/Users/" + id, patch.formatted("")), 400, "invalidSyntax");
        assertError(scim.send("PATCH", "/Users/" + id, patch.formatted("{\"op\": \"replace\", \"path\": \"userName\", \"value\": null}")), 400, "invalidValue");
        assertError(scim.send("GET", "/Users/does-not-exist", null), 404, null);
        assertError(scim.send("GET", "/Nothing", null), 404, null);
        assertError(scim.send("DELETE", "/Users", null), 405, null);
        ScimHarness.Answer text = scim.sendRaw("POST", "/Users", "userName=x", Map.of("Authorization", List.of("Bearer " + scim.token),
                "Content-Type", List.of("text/plain")));
        assertError(text, 415, null);
        ScimHarness.Answer plainJson = scim.sendRaw("POST", "/Users", "{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"], \"userName\": \"json@example.com\"}",
                Map.of("Authorization", List.of("Bearer " + scim.token), "Content-Type", List.of("application/json; charset=utf-8")));
        assertThat(plainJson.status()).as("application/json is accepted too").isEqualTo(201);
    }

    @Test
    void patchPathsReachSubAttributesValuesAndExtensions() {
        String id = createUser("paths@example.com").json().path("id").asText();
        JsonNode patched = scim.send("PATCH", "/Users/" + id, """
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
                  {"op": "add", "path": "emails", "value": [{"value": "home@example.org", "type": "home"}, {"value": "work@example.com", "type": "work"}]},
                  {"op": "add", "path": "phoneNumbers[type eq \\"mobile\\"].value", "value": "+33 6 00 00 00 00"},
                  {"op": "replace", "path": "emails[type eq \\"home\\"].primary", "value": "True"},
                  {"op": "remove", "path": "emails[type eq \\"work\\"]"},
                  {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "boss-id"},
                  {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "42"},
                  {"op": "add", "path": "password", "value": "never-kept"},
                  {"op": "add", "value": {"nickName": "Pat", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"costCenter": "CC1"}}}]}
                """).json();
        assertThat(patched.path("emails")).hasSize(1);
        assertThat(patched.path("emails").get(0).path("primary").asBoolean()).isTrue();
        assertThat(patched.path("phoneNumbers").get(0).path("type").asText()).isEqualTo("mobile");
        assertThat(patched.path("phoneNumbers").get(0).path("value").asText()).isEqualTo("+33 6 00 00 00 00");
        JsonNode enterprise = patched.path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
        assertThat(enterprise.path("manager").path("value").asText()).isEqualTo("boss-id");
        assertThat(enterprise.path("employeeNumber").asText()).isEqualTo("42");
        assertThat(enterprise.path("costCenter").asText()).isEqualTo("CC1");
        assertThat(patched.path("schemas")).extracting(JsonNode::asText).contains("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
        assertThat(patched.path("nickName").asText()).isEqualTo("Pat");
        assertThat(patched.has("password")).isFalse();
        assertThat(scim.directory.users.get(id).email()).isEqualTo("home@example.org");

        JsonNode removed = scim.send("PATCH", "/Users/" + id, """
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
                  {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"},
                  {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"},
                  {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"},
                  {"op": "remove", "path": "phoneNumbers[type eq \\"pager\\"]"},
                  {"op": "replace", "path": "emails", "value": []}]}
                """).json();
        assertThat(removed.has("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")).isFalse();
        assertThat(removed.path("schemas")).hasSize(1);
        assertThat(removed.has("emails")).isFalse();
        assertThat(removed.path("phoneNumbers")).as("removing what a filter does not match changes nothing").hasSize(1);
        assertThat(scim.directory.users.get(id).email()).isEmpty();
    }

    @Test
    void resourcesVersionsAndNamesSurviveARestartOfThePlugin() {
        String id = createUser("kept@example.com").json().path("id").asText();
        scim.send("PATCH", "/Users/" + id, """
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "add", "path": "title", "value": "Keeper"}]}
                """);
        ScimHarness restarted = new ScimHarness(scim);
        ScimHarness.Answer read = restarted.send("GET", "/Users/" + id, null);
        assertThat(read.json().path("title").asText()).isEqualTo("Keeper");
        assertThat(read.header("ETag")).isEqualTo("W/\"2\"");
        assertThat(restarted.send("GET", "/Users?filter=" + query("userName eq \"KEPT@example.com\""), null).json().path("totalResults").asInt())
                .isEqualTo(1);
        assertThat(restarted.send("GET", "/Users", null, "Authorization", "Bearer " + scim.token).status()).as("tokens are kept too").isEqualTo(200);
        assertThat(createUserWith(restarted, "kept@example.com").status()).isEqualTo(409);
    }

    @Test
    void discoveryDocumentsDescribeWhatTheServiceDoes() {
        JsonNode config = scim.send("GET", "/ServiceProviderConfig", null).json();
        assertThat(config.path("patch").path("supported").asBoolean()).isTrue();
        assertThat(config.path("bulk").path("supported").asBoolean()).isFalse();
        assertThat(config.path("filter").path("maxResults").asInt()).isEqualTo(3);
        assertThat(config.path("etag").path("supported").asBoolean()).isTrue();
        assertThat(config.path("authenticationSchemes").get(0).path("type").asText()).isEqualTo("oauthbearertoken");

        JsonNode types = scim.send("GET", "/ResourceTypes", null).json();
        assertThat(types.path("Resources")).extracting(type -> type.path("endpoint").asText()).containsExactly("/Users", "/Groups");
        assertThat(scim.send("GET", "/ResourceTypes/User", null).json().path("schemaExtensions").get(0).path("schema").asText())
                .isEqualTo("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");

        JsonNode schemas = scim.send("GET", "/Schemas", null).json();
        assertThat(schemas.path("totalResults").asInt()).isEqualTo(3);
        JsonNode user = scim.send("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", null).json();
        JsonNode userName = user.path("attributes").get(0);
        assertThat(userName.path("name").asText()).isEqualTo("userName");
        assertThat(userName.path("caseExact").asBoolean()).isFalse();
        assertThat(userName.path("uniqueness").asText()).isEqualTo("server");
        assertThat(userName.path("mutability").asText()).isEqualTo("readWrite");
        assertThat(scim.send("GET", "/Schemas/urn:nothing", null).status()).isEqualTo(404);
    }

    private ScimHarness.Answer createUser(String userName) {
        return createUserWith(scim, userName);
    }

    private static ScimHarness.Answer createUserWith(ScimHarness harness, String userName) {
        return harness.send("POST", "/Users", """
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "%s", "active": true}
                """.formatted(userName));
    }

    private static void assertError(ScimHarness.Answer answer, int status, String scimType) {
        assertThat(answer.status()).as(String.valueOf(answer.json())).isEqualTo(status);
        assertThat(answer.json().path("schemas").get(0).asText()).isEqualTo("urn:ietf:params:scim:api:messages:2.0:Error");
        assertThat(answer.json().path("status").asText()).isEqualTo(String.valueOf(status));
        assertThat(answer.json().path("detail").asText()).isNotBlank();
        if (scimType == null) {
            assertThat(answer.json().has("scimType")).isFalse();
        } else {
            assertThat(answer.json().path("scimType").asText()).isEqualTo(scimType);
        }
    }
}
