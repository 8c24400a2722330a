package dev.shepherd.plugins.identity.scim;

import dev.shepherd.api.identity.ProvidedGroup;
import dev.shepherd.api.identity.ProvidedUser;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The requests Microsoft Entra ID's provisioning service sends, as Microsoft documents them in "Tutorial: Develop and
 * plan provisioning for a SCIM endpoint in Microsoft Entra ID" (its request and response examples, kept as written:
 * {@code "op": "Replace"} in capitals, {@code "$ref": null} in members, the Microsoft group schema beside the core
 * one) and "Known issues and resolutions with SCIM 2.0 protocol compliance" (booleans sent as the strings
 * {@code "True"}/{@code "False"}), replayed in order against the plugin's endpoint; each change shows in the
 * server's directory.
 *
 * <p>Checked against the published page's source,
 * https://github.com/MicrosoftDocs/entra-docs/blob/main/docs/identity/app-provisioning/use-scim-to-provision-users-and-groups.md
 * (user and group operations, request by request).
 */
class EntraIdProvisioningTest {

    private final ScimHarness scim = new ScimHarness();

    @Test
    void entraCreatesFindsUpdatesDisablesAndDeletesAUser() {
        ScimHarness.Answer probe = scim.send("GET", "/Users?filter=" + query("userName eq \"Test_User_dfeef4c5-5681-4387-b016-bdf221e82081\""), null);
        assertThat(probe.status()).isEqualTo(200);
        assertThat(probe.json().path("schemas").get(0).asText()).isEqualTo("urn:ietf:params:scim:api:messages:2.0:ListResponse");
        assertThat(probe.json().path("totalResults").asInt()).isZero();
        assertThat(probe.json().path("Resources")).isEmpty();

        ScimHarness.Answer created = scim.send("POST", "/Users", """
                {
                    "schemas": [
                        "urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
                    "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
                    "active": true,
                    "emails": [{
                        "primary": true,
                        "type": "work",
                        "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"
                    }],
                    "meta": {
                        "resourceType": "User"
                    },
                    "name": {
                        "formatted": "givenName familyName",
                        "familyName": "familyName",
                        "givenName": "givenName"
                    },
                    "roles": []
                }
                """);
        assertThat(created.status()).isEqualTo(201);
        String id = created.json().path("id").asText();
        assertThat(created.header("Location")).isEqualTo(ScimHarness.PUBLIC_URL + "/mdm/identity-scim/scim/v2/Users/" + id);
        assertThat(created.header("ETag")).isEqualTo("W/\"1\"");
        assertThat(created.json().path("userName").asText()).isEqualTo("Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1");
        assertThat(created.json().path("externalId").asText()).isEqualTo("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef");
        assertThat(created.json().path("active").asBoolean()).isTrue();
        assertThat(created.json().path("meta").path("resourceType").asText()).isEqualTo("User");
        assertThat(created.json().path("meta").path("version").asText()).isEqualTo("W/\"1\"");
        assertThat(created.json().path("meta").path("created").asText()).isEqualTo("2026-03-01T09:00:00Z");
        assertThat(created.json().has("roles")).as("an empty list is unassigned").isFalse();
        assertThat(scim.directory.users.get(id)).isEqualTo(new ProvidedUser(id, "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
                "givenName familyName", "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com", true));

        ScimHarness.Answer found = scim.send("GET", "/Users?filter=" + query("userName eq \"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1\""), null);
        assertThat(found.json().path("totalResults").asInt()).isEqualTo(1);
        assertThat(found.json().path("Resources").get(0).path("id").asText()).isEqualTo(id);
        assertThat(scim.send("GET", "/Users/" + id, null).json().path("name").path("familyName").asText()).isEqualTo("familyName");

        ScimHarness.Answer multiValued = scim.send("PATCH", "/Users/" + id, """
                {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [
                            {
                            "op": "Replace",
                            "path": "emails[type eq \\"work\\"].value",
                            "value": "updatedEmail@microsoft.com"
                            },
                            {
                            "op": "Replace",
                            "path": "name.familyName",
                            "value": "updatedFamilyName"
                            }
                    ]
                }
                """);
        assertThat(multiValued.status()).isEqualTo(200);
        assertThat(multiValued.json().path("emails").get(0).path("value").asText()).isEqualTo("updatedEmail@microsoft.com");
        assertThat(multiValued.json().path("emails").get(0).path("primary").asBoolean()).isTrue();
        assertThat(multiValued.json().path("name").path("familyName").asText()).isEqualTo("updatedFamilyName");
        assertThat(multiValued.header("ETag")).isEqualTo("W/\"2\"");
        assertThat(scim.directory.users.get(id).email()).isEqualTo("updatedEmail@microsoft.com");

        ScimHarness.Answer singleValued = scim.send("PATCH", "/Users/" + id, """
                {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{
                        "op": "Replace",
                        "path": "userName",
                        "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
                    }]
                }
                """);
        assertThat(singleValued.json().path("userName").asText()).isEqualTo("5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com");
        assertThat(scim.directory.users.get(id).username()).isEqualTo("5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com");
        assertThat(scim.send("GET", "/Users?filter=" + query("userName eq \"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1\""), null)
                .json().path("totalResults").asInt()).isZero();

        ScimHarness.Answer disabled = scim.send("PATCH", "/Users/" + id, """
                {
                    "Operations": [
                        {
                            "op": "Replace",
                            "path": "active",
                            "value": false
                        }
                    ],
                    "schemas": [
                        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
                    ]
                }
                """);
        assertThat(disabled.json().path("active").isBoolean()).isTrue();
        assertThat(disabled.json().path("active").asBoolean()).isFalse();
        assertThat(scim.directory.users.get(id).active()).as("soft delete deactivates the person").isFalse();

        assertThat(scim.send("DELETE", "/Users/" + id, null).status()).isEqualTo(204);
        assertThat(scim.send("GET", "/Users/" + id, null).status()).isEqualTo(404);
        assertThat(scim.directory.users.get(id).active()).as("the directory keeps the person, deactivated").isFalse();
    }

    @Test
    void booleansSentAsStringsAreBooleans() {
        String id = scim.send("POST", "/Users", """
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "strings@testuser.com", "active": "True"}
                """).json().path("id").asText();
        assertThat(scim.directory.users.get(id).active()).isTrue();

        ScimHarness.Answer withPath = scim.send("PATCH", "/Users/" + id, """
                {
                  "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                  "Operations": [
                    {
                      "op": "Replace",
                      "path": "active",
                      "value": "False"
                    }
                  ]
                }
                """);
        assertThat(withPath.status()).isEqualTo(200);
        assertThat(withPath.json().path("active").isBoolean()).isTrue();
        assertThat(scim.directory.users.get(id).active()).isFalse();

        ScimHarness.Answer withoutPath = scim.send("PATCH", "/Users/" + id, """
                {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Replace", "value": {"active": "True"}}]}
                """);
        assertThat(withoutPath.json().path("active").asBoolean()).isTrue();
        assertThat(scim.directory.users.get(id).active()).isTrue();
    }

    @Test
    void entraCreatesFindsRenamesFillsEmptiesAndDeletesAGroup() {
        String user = scim.send("POST", "/Users", """
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "member@testuser.com", "active": true}
                """).json().path("id").asText();

        ScimHarness.Answer created = scim.send("POST", "/Groups", """
                {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                    "displayName": "displayName",
                    "meta": {
                        "resourceType": "Group"
                    }
                }
                """);
        assertThat(created.status()).isEqualTo(201);
        String id = created.json().path("id").asText();
        assertThat(created.json().path("schemas").get(0).asText()).isEqualTo("urn:ietf:params:scim:schemas:core:2.0:Group");
        assertThat(created.json().path("members").isArray()).isTrue();
        assertThat(created.json().path("members")).isEmpty();
        assertThat(created.json().path("meta").path("resourceType").asText()).isEqualTo("Group");
        assertThat(scim.directory.groups.get(id)).isEqualTo(new ProvidedGroup(id, "displayName", Set.of(), Set.of()));

        ScimHarness.Answer read = scim.send("GET", "/Groups/" + id + "?excludedAttributes=members", null);
        assertThat(read.json().has("members")).isFalse();
        assertThat(read.json().path("displayName").asText()).isEqualTo("displayName");
        ScimHarness.Answer byName = scim.send("GET", "/Groups?excludedAttributes=members&filter=" + query("displayName eq \"displayName\""), null);
        assertThat(byName.json().path("totalResults").asInt()).isEqualTo(1);
        assertThat(byName.json().path("Resources").get(0).has("members")).isFalse();

        ScimHarness.Answer renamed = scim.send("PATCH", "/Groups/" + id, """
                {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{
                        "op": "Replace",
                        "path": "displayName",
                        "value": "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
                    }]
                }
                """);
        assertThat(renamed.status()).isEqualTo(200);
        assertThat(scim.directory.groups.get(id).name()).isEqualTo("1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName");

        String members = """
                {
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{
                        "op": "%s",
                        "path": "members",
                        "value": [{
                            "$ref": null,
                            "value": "%s"
                        }]
                    }]
                }
                """;
        ScimHarness.Answer added = scim.send("PATCH", "/Groups/" + id, members.formatted("Add", user));
        assertThat(added.status()).isEqualTo(200);
        assertThat(added.json().path("members").get(0).path("value").asText()).isEqualTo(user);
        assertThat(added.json().path("members").get(0).path("type").asText()).isEqualTo("User");
        assertThat(scim.directory.groups.get(id).memberUsers()).containsExactly(user);
        assertThat(scim.send("PATCH", "/Groups/" + id, members.formatted("Add", user)).json().path("members"))
                .as("adding a member twice keeps one").hasSize(1);

        ScimHarness.Answer removed = scim.send("PATCH", "/Groups/" + id, members.formatted("Remove", user));
        assertThat(removed.status()).isEqualTo(200);
        assertThat(removed.json().path("members")).isEmpty();
        assertThat(scim.directory.groups.get(id).memberUsers()).isEmpty();

        assertThat(scim.send("DELETE", "/Groups/" + id, null).status()).isEqualTo(204);
        assertThat(scim.directory.groups).doesNotContainKey(id);
        assertThat(scim.directory.users.get(user).active()).as("a group's members stay").isTrue();
    }

    static String query(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
