package dev.shepherd.plugins.identity.ldap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.cluster.Leadership;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.testing.MemoryPluginStorage;
import dev.shepherd.testing.TestSecrets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The plugin's admin endpoints as the kernel calls them: the sync's answers when unconfigured and when the directory
 * cannot be reached (a 502 that deactivated no one), and the bind password put, reported and removed without ever
 * being answered. The server-side checks (authentication, permission) are proven by {@code LdapDirectoryIT}.
 */
class AdminEndpointsTest {

    private static final String SECRET = "s3rvice-Passw0rd";

    private final ObjectMapper json = new ObjectMapper();
    private final List<AutoCloseable> opened = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : opened) {
            closeable.close();
        }
    }

    @Test
    void anUnconfiguredPluginSaysSoAndRefusesToSync() throws Exception {
        Plugin plugin = plugin(Map.of());
        DeviceResponse sync = plugin.sync.handle(request("POST", "/sync", ""));
        assertThat(sync.status()).isEqualTo(409);
        assertThat(sync.headers().get("Content-Type")).startsWith("application/problem+json");
        JsonNode status = json.readTree(plugin.sync.handle(request("GET", "/sync", "")).body());
        assertThat(status.path("configured").asBoolean()).isFalse();
        assertThat(status.path("bindPasswordSet").asBoolean()).isFalse();
        assertThat(plugin.sync.handle(request("DELETE", "/sync", "")).status()).isEqualTo(405);
    }

    @Test
    void aDirectoryThatCannotBeReachedFailsTheSyncWithA502AndDeactivatesNoOne() throws Exception {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        Plugin plugin = plugin(Map.of("url", "ldaps://127.0.0.1:1", "userBaseDn", "dc=example,dc=org", "bindDn", "cn=shepherd,dc=example,dc=org",
                "connectTimeout", "PT2S"));
        assertThat(plugin.password.handle(request("PUT", "/bind-password", "{\"password\": \"" + SECRET + "\"}")).status()).isEqualTo(204);

        DeviceResponse sync = plugin.sync.handle(request("POST", "/sync", ""));
        assertThat(sync.status()).isEqualTo(502);
        assertThat(json.readTree(sync.body()).path("detail").asText()).startsWith("No one was deactivated.");
        JsonNode status = json.readTree(plugin.sync.handle(request("GET", "/sync", "")).body());
        assertThat(status.path("lastError").asText()).isNotEmpty();
        assertThat(status.path("lastSync").isMissingNode()).isTrue();
        assertThat(plugin.directory.completedSyncs).hasValue(0);
        assertThat(new String(sync.body(), StandardCharsets.UTF_8) + status).doesNotContain(SECRET);
    }

    @Test
    void theBindPasswordIsSealedReportedAsSetAndRemovedButNeverAnswered() throws Exception {
        Plugin plugin = plugin(Map.of());
        assertThat(plugin.password.handle(request("PUT", "/bind-password", "not json")).status()).isEqualTo(400);
        assertThat(plugin.password.handle(request("PUT", "/bind-password", "{\"password\": \"\"}")).status()).isEqualTo(400);
        assertThat(plugin.password.handle(request("PUT", "/bind-password", "[\"" + SECRET + "\"]")).status()).isEqualTo(400);

        assertThat(plugin.password.handle(request("PUT", "/bind-password", "{\"password\": \"" + SECRET + "\"}")).status()).isEqualTo(204);
        assertThat(plugin.storage.get(BindPassword.KEY)).get().satisfies(sealed ->
                assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain(SECRET));
        DeviceResponse set = plugin.password.handle(request("GET", "/bind-password", ""));
        assertThat(json.readTree(set.body()).path("set").asBoolean()).isTrue();
        assertThat(new String(set.body(), StandardCharsets.UTF_8)).doesNotContain(SECRET);

        assertThat(plugin.password.handle(request("DELETE", "/bind-password", "")).status()).isEqualTo(204);
        assertThat(plugin.password.handle(request("DELETE", "/bind-password", "")).status()).isEqualTo(404);
        assertThat(json.readTree(plugin.password.handle(request("GET", "/bind-password", "")).body()).path("set").asBoolean()).isFalse();
    }

    /** The plugin's parts wired as the plugin host wires them, with the directory in memory. */
    private record Plugin(SyncEndpoint sync, BindPasswordEndpoint password, RecordingUserDirectory directory, MemoryPluginStorage storage) {
    }

    private Plugin plugin(Map<String, String> settings) {
        MemoryPluginStorage storage = new MemoryPluginStorage();
        BindPassword bindPassword = new BindPassword(storage, TestSecrets.sealer());
        LdapConnections connections = new LdapConnections(TestConfig.of(settings), bindPassword);
        RecordingUserDirectory directory = new RecordingUserDirectory();
        Leadership alwaysLeader = new Leadership() {
            @Override
            public boolean isLeader() {
                return true;
            }

            @Override
            public boolean isLeader(String job) {
                return true;
            }
        };
        SyncWorker worker = new SyncWorker(new LdapSync(new LdapDirectory(connections), directory, connections.settings(), Clock.systemUTC()),
                connections, alwaysLeader, new PluginIdentity("identity-ldap", "0.1.0", "/mdm/identity-ldap"));
        opened.add(worker);
        opened.add(connections);
        return new Plugin(new SyncEndpoint(worker, connections, bindPassword), new BindPasswordEndpoint(bindPassword), directory, storage);
    }

    private static AdminRequest request(String method, String path, String body) {
        return new AdminRequest(method, path, Map.of(), Map.of(), body.getBytes(StandardCharsets.UTF_8), "admin", "ADMIN");
    }
}
