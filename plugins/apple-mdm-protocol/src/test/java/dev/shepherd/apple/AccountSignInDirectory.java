package dev.shepherd.apple;

import dev.shepherd.plugin.PluginState;
import dev.shepherd.testing.TestServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The organisation's directory the people of account-driven enrollment sign in with: an identity-provider plugin file
 * ({@code corp-directory}, provider {@code corp}) built by the test kit and installed into a running server. Each
 * person's username is their e-mail address, their Managed Apple Account.
 */
public final class AccountSignInDirectory {

    private AccountSignInDirectory() {
    }

    /**
     * Builds the plugin, installs it and waits until it runs.
     *
     * @param passwords each person's e-mail address and work password
     * @param build where the plugin is built
     */
    public static void install(TestServer server, Path build, Map<String, String> passwords) throws Exception {
        String entries = passwords.entrySet().stream().map(entry -> literal(entry.getKey()) + ", " + literal(entry.getValue()))
                .collect(Collectors.joining(", "));
        Files.copy(plugin("corp-directory", "1.0.0").source("""
                package acme.directory;

                import dev.shepherd.api.identity.Identity;
                import dev.shepherd.api.identity.IdentityProvider;
                import org.pf4j.Extension;
                import java.util.Map;
                import java.util.Optional;
                import java.util.Set;

                @Extension
                public class Corp implements IdentityProvider {
                    private static final Map<String, String> PASSWORDS = Map.of(%s);

                    @Override
                    public String id() {
                        return "corp";
                    }

                    @Override
                    public Optional<Identity> authenticate(String username, char[] password) {
                        return new String(password).equals(PASSWORDS.get(username))
                                ? Optional.of(new Identity("corp", username, username, username, Set.of()))
                                : Optional.empty();
                    }
                }
                """.formatted(entries)).buildZip(build, "corp.zip"), server.pluginsDir().resolve("corp.zip"));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(server.server().plugins().plugin("corp-directory"))
                .hasValueSatisfying(info -> assertThat(info.state()).isEqualTo(PluginState.STARTED)));
    }

    private static String literal(String text) {
        return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
