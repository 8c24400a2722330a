package dev.shepherd.plugins.identity.scim;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The requests Okta's provisioning sends, as Okta documents them in its "SCIM 2.0 protocol reference" (the
 * {@code userName eq} probe with {@code startIndex=1&count=100}, a POST carrying a password, a PUT of the whole
 * user, deactivation by {@code {"op":"replace","value":{"active":false}}}, a group rename whose value repeats the
 * group's id, members added by a list and removed by a value filter), replayed in order against the plugin's endpoint.
 *
 * <p>Checked against https://developer.okta.com/docs/reference/scim/scim-20/ (request bodies and parameters as written
 * there, including its sample user and password).
 */
class OktaProvisioningTest {

    private final ScimHarness scim = new ScimHarness();

    @Test
    void oktaProbesCreatesReplacesAndDeactivatesAUserWithoutTheServerEverKeepingThePassword() {
        ScimHarness.Answer probe = scim.send("GET", "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100", null);
        assertThat(probe.status()).isEqualTo(200);
        assertThat(probe.json().path("totalResults").asInt()).isZero();
        assertThat(probe.json().path("startIndex").asInt()).isEqualTo(1);
        assertThat(probe.json().path("itemsPerPage").asInt()).isZero();

        ScimHarness.Answer created = scim.send("POST", "/Users", """
                {
                  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                  "userName": "test.user@okta.local",
                  "name": {
                    "givenName": "Test",
                    "familyName": "User"
                  },
                  "emails": [{
                    "primary": true,
                    "value": "test.user@okta.local",
                    "type": "work"
                  }],
                  "displayName": "Test User",
                  "locale": "en-US",
                  "externalId": "00ujl29u0le5T6Aj10h7",
                  "groups": [],
                  "password": "1mz050nq",
                  "active": true
                }
                """);
        assertThat(created.status()).isEqualTo(201);
        String id = created.json().path("id").asText();
        assertThat(created.json().has("password")).isFalse();
        assertThat(created.json().path("locale").asText()).isEqualTo("en-US");
        assertThat(scim.directory.users.get(id).displayName()).isEqualTo("Test User");
        assertThat(scim.directory.users.get(id).email()).isEqualTo("test.user@okta.local");
        assertThat(scim.storage.keys("")).allSatisfy(key -> assertThat(new String(scim.storage.get(key).orElseThrow(), StandardCharsets.UTF_8))
                .doesNotContain("1mz050nq"));

        ScimHarness.Answer found = scim.send("GET", "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100", null);
        assertThat(found.json().path("totalResults").asInt()).isEqualTo(1);
        assertThat(found.json().path("Resources").get(0).path("id").asText()).isEqualTo(id);

        ScimHarness.Answer replaced = scim.send("PUT", "/Users/" + id, """
                {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "id": "%s",
                    "userName": "test.user@okta.local",
                    "name": {
                        "givenName": "Another",
                        "familyName": "User"
                    },
                    "emails": [{
                        "primary": true,
                        "value": "test.user@okta.local",
                        "type": "work"
                    }],
                    "displayName": "Another User",
                    "locale": "en-US",
                    "externalId": "00ujl29u0le5T6Aj10h7",
                    "groups": [],
                    "password": "1mz050nq",
                    "active": true,
                    "meta": {
                        "resourceType": "User",
                        "created": "2018-03-27T19:59:26.000Z",
                        "lastModified": "2018-03-27T19:59:26.000Z"
                    }
                }
                """.formatted(id));
        assertThat(replaced.status()).isEqualTo(200);
        assertThat(replaced.json().path("name").path("givenName").asText()).isEqualTo("Another");
        assertThat(replaced.json().path("meta").path("created").asText()).as("meta is the server's").isEqualTo("2026-03-01T09:00:00Z");
        assertThat(scim.directory.users.get(id).displayName()).isEqualTo("Another User");

        ScimHarness.Answer deactivated = scim.send("PATCH", "/Users/" + id, """
                {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{
                        "op": "replace",
                        "value": {
                            "active": false
                        }
                    }]
                }
                """);
        assertThat(deactivated.status()).isEqualTo(200);
        assertThat(deactivated.json().path("active").asBoolean()).isFalse();
        assertThat(scim.directory.users.get(id).active()).isFalse();
    }

    @Test
    void oktaPushesAGroupRenamesItAndChangesItsMembers() {
        String user = scim.send("POST", "/Users", """
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "test.user@okta.local", "active": true}
                """).json().path("id").asText();

        ScimHarness.Answer created = scim.send("POST", "/Groups", """
                {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": "Test SCIMv2",
                    "members": []
                }
                """);
        assertThat(created.status()).isEqualTo(201);
        String id = created.json().path("id").asText();

        ScimHarness.Answer listed = scim.send("GET", "/Groups?startIndex=1&count=100", null);
        assertThat(listed.json().path("totalResults").asInt()).isEqualTo(1);
        ScimHarness.Answer byName = scim.send("GET", "/Groups?filter=displayName%20eq%20%22Test%20SCIMv2%22&startIndex=1&count=100", null);
        assertThat(byName.json().path("Resources").get(0).path("id").asText()).isEqualTo(id);

        ScimHarness.Answer renamed = scim.send("PATCH", "/Groups/" + id, """
                {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{
                        "op": "replace",
                        "value": {
                            "id": "%s",
                            "displayName": "Test SCIMv2 (renamed)"
                        }
                    }]
                }
                """.formatted(id));
        assertThat(renamed.status()).isEqualTo(200);
        assertThat(scim.directory.groups.get(id).name()).isEqualTo("Test SCIMv2 (renamed)");

        ScimHarness.Answer added = scim.send("PATCH", "/Groups/" + id, """
                {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{
                        "op": "add",
                        "path": "members",
                        "value": [{
                            "value": "%s",
                            "display": "test.user@okta.local"
                        }]
                    }]
                }
                """.formatted(user));
        assertThat(added.json().path("members").get(0).path("display").asText()).isEqualTo("test.user@okta.local");
        assertThat(scim.directory.groups.get(id).memberUsers()).containsExactly(user);

        ScimHarness.Answer removed = scim.send("PATCH", "/Groups/" + id, """
                {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{
                        "op": "remove",
                        "path": "members[value eq \\"%s\\"]"
                    }]
                }
                """.formatted(user));
        assertThat(removed.status()).isEqualTo(200);
        assertThat(scim.directory.groups.get(id).memberUsers()).isEmpty();

        ScimHarness.Answer put = scim.send("PUT", "/Groups/" + id, """
                {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "id": "%s",
                    "displayName": "Test SCIMv2",
                    "members": [{"value": "%s", "display": "test.user@okta.local"}]
                }
                """.formatted(id, user));
        assertThat(put.status()).isEqualTo(200);
        assertThat(scim.directory.groups.get(id).name()).isEqualTo("Test SCIMv2");
        assertThat(scim.directory.groups.get(id).memberUsers()).containsExactly(user);

        assertThat(scim.send("DELETE", "/Groups/" + id, null).status()).isEqualTo(204);
        assertThat(scim.directory.groups).isEmpty();
    }
}
