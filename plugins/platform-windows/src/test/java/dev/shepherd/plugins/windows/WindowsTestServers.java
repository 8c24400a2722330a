package dev.shepherd.plugins.windows;

import dev.shepherd.plugins.windows.syncml.SyncCommand;
import dev.shepherd.plugins.windows.syncml.SyncHdr;
import dev.shepherd.plugins.windows.syncml.SyncMl;
import dev.shepherd.plugins.windows.syncml.SyncMlWriter;
import dev.shepherd.testing.TestServer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Optional;

/** What the Windows ITs read from a running server, and the message they open sessions with. */
final class WindowsTestServers {

    /** The management endpoint's path. */
    static final String MANAGEMENT_PATH = "/mdm/windows/ManagementServer/MDM.svc";

    private WindowsTestServers() {
    }

    /** The certificate the server generated for its HTTPS listener, which the PCs trust as the enrollment taught them. */
    static X509Certificate serverCertificate(TestServer server) throws Exception {
        Path tls = server.server().config().dataDir().resolve("tls");
        char[] password = Files.readString(tls.resolve("server.p12.password"), StandardCharsets.US_ASCII).trim().toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(tls.resolve("server.p12"))) {
            store.load(in, password);
        }
        return (X509Certificate) store.getCertificate(store.aliases().nextElement());
    }

    /** What the plugin stored, read from the kernel's store as the push service reads it. */
    static Optional<String> pluginEntry(TestServer server, String key) {
        return server.server().kernel().transactions().inTransaction("read a plugin entry", tx -> {
            try (PreparedStatement select = tx.connection().prepareStatement(
                    "SELECT entry_value FROM plugin_kv WHERE plugin_id = 'windows' AND entry_key = ?")) {
                select.setString(1, key);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(new String(rows.getBytes(1), StandardCharsets.UTF_8)) : Optional.<String>empty();
                }
            }
        });
    }

    /** The first message of a session, alone, for the refusal tests. */
    static byte[] opening(String deviceId) {
        return SyncMlWriter.write(new SyncMl(new SyncHdr("9", "1", "https://localhost" + MANAGEMENT_PATH, deviceId, Optional.empty()),
                List.of(new SyncCommand.Alert("1", "1201", List.of())), true));
    }
}
