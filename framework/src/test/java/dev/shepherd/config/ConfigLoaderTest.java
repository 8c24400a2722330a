package dev.shepherd.config;

import dev.shepherd.directory.DeprovisioningPolicy;
import dev.shepherd.testing.StoreFree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@StoreFree
class ConfigLoaderTest {

    @TempDir
    Path home;

    @Test
    void withoutAFileEverythingHasItsDefault() {
        ShepherdConfig config = load(Map.of());

        assertThat(config.http().port()).isEqualTo(8080);
        assertThat(config.https().port()).isEqualTo(8443);
        assertThat(config.dataDir()).isEqualTo(home.resolve("data"));
        assertThat(config.pluginsDir()).isEqualTo(home.resolve("plugins"));
        assertThat(config.database().url()).isEmpty();
        assertThat(config.plugins().scanInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.bootstrapAdmin()).isEmpty();
    }

    @Test
    void aPasswordWrittenIntoTheDatabaseUrlIsNeverShown() {
        ShepherdConfig config = load(Map.of("SHEPHERD_DATABASE_URL",
                "jdbc:postgresql://shepherd:hunter2@db.example:5432/shepherd?ssl=true&password=hunter2&sslpassword=key-secret"));

        assertThat(config.database().displayUrl()).contains(
                "jdbc:postgresql://shepherd:***@db.example:5432/shepherd?ssl=true&password=***&sslpassword=***");
        assertThat(config.database().toString()).doesNotContain("hunter2").doesNotContain("key-secret");
        assertThat(ShepherdConfig.Database.redacted("jdbc:derby:/srv/db;user=app;password=s3cret;create=true"))
                .isEqualTo("jdbc:derby:/srv/db;user=app;password=***;create=true");
        assertThat(ShepherdConfig.Database.redacted("jdbc:postgresql://db.example/shepherd")).isEqualTo("jdbc:postgresql://db.example/shepherd");
    }

    @Test
    void metricsAreTaggedWithTheHostNameAndTheirListenerIsOffUnlessConfigured() throws Exception {
        ShepherdConfig defaults = load(Map.of());
        write("""
                node:
                  name: mdm-1.example
                metrics:
                  port: 9464
                  host: 10.0.0.5
                """);
        ShepherdConfig configured = load(Map.of("SHEPHERD_METRICS_PORT", "9465"));

        assertThat(defaults.node().name()).as("the host's name, or localhost when it has none usable as a tag")
                .isIn(InetAddress.getLocalHost().getHostName(), "localhost");
        assertThat(load(Map.of("SHEPHERD_NODE_NAME", "")).node().name()).as("empty, as the shipped file has it, is the default")
                .isEqualTo(defaults.node().name());
        assertThat(defaults.metrics().port()).isEqualTo(-1);
        assertThat(defaults.metrics().host()).isEqualTo("127.0.0.1");
        assertThat(configured.node().name()).isEqualTo("mdm-1.example");
        assertThat(configured.metrics().port()).isEqualTo(9465);
        assertThat(configured.metrics().host()).isEqualTo("10.0.0.5");
    }

    @Test
    void theSecretsKeyIsInTheDataDirectoryUnlessASharedFileIsNamed() {
        ShepherdConfig defaults = load(Map.of("SHEPHERD_SECURITY_SECRETS_KEY_FILE", ""));
        ShepherdConfig shared = load(Map.of("SHEPHERD_SECURITY_SECRETS_KEY_FILE", "/etc/shepherd/secrets.key"));
        ShepherdConfig relative = load(Map.of("SHEPHERD_SECURITY_SECRETS_KEY_FILE", "conf/secrets.key"));

        assertThat(defaults.security().secretsKey(defaults.dataDir())).isEqualTo(home.resolve("data/keys/secrets.key"));
        assertThat(shared.security().secretsKey(shared.dataDir())).isEqualTo(Path.of("/etc/shepherd/secrets.key"));
        assertThat(relative.security().secretsKey(relative.dataDir())).isEqualTo(home.resolve("conf/secrets.key"));
    }

    @Test
    void aNodeNameThatCannotBeAMetricTagIsRefused() {
        assertThatThrownBy(() -> load(Map.of("SHEPHERD_NODE_NAME", "node \"one\"")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("node.name")
                .hasMessageContaining("letters, digits, dots, dashes or underscores");
    }

    @Test
    void theFileIsReadAndTheEnvironmentWins() throws IOException {
        write("""
                http:
                  port: 9000
                dataDir: /var/lib/shepherd
                plugins:
                  scanInterval: 500ms
                  config:
                    hello:
                      greeting: Hi
                """);

        ShepherdConfig config = load(Map.of("SHEPHERD_HTTP_PORT", "9100", "SHEPHERD_PLUGINS_DIR", "extra/plugins",
                "SHEPHERD_BOOTSTRAP_ADMIN_USER", "root", "SHEPHERD_BOOTSTRAP_ADMIN_PASSWORD", "a-long-password"));

        assertThat(config.http().port()).isEqualTo(9100);
        assertThat(config.dataDir()).isEqualTo(Path.of("/var/lib/shepherd"));
        assertThat(config.pluginsDir()).isEqualTo(home.resolve("extra/plugins"));
        assertThat(config.plugins().scanInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.plugins().settings()).containsEntry("hello", Map.of("greeting", "Hi"));
        assertThat(config.bootstrapAdmin()).hasValueSatisfying(admin -> assertThat(admin.username()).isEqualTo("root"));
    }

    @Test
    void aBadValueNamesTheKeyAndWhereItCameFrom() {
        assertThatThrownBy(() -> load(Map.of("SHEPHERD_HTTP_PORT", "eighty")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Configuration key 'http.port' must be an integer between -1 and 65535, got 'eighty'"
                        + " (from environment variable SHEPHERD_HTTP_PORT)");
    }

    @Test
    void thePublicUrlIsAnHttpsBaseUrl() {
        assertThat(load(Map.of()).https().publicUrl()).isEmpty();
        assertThat(load(Map.of("SHEPHERD_HTTPS_PUBLIC_URL", "https://mdm.example.com/")).https().publicUrl())
                .hasValue("https://mdm.example.com");
        assertThatThrownBy(() -> load(Map.of("SHEPHERD_HTTPS_PUBLIC_URL", "http://mdm.example.com")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("https.publicUrl").hasMessageContaining("must be an https URL");
    }

    @Test
    void thePluginCircuitBreakerHasDefaultsAndCanBeTuned() throws IOException {
        assertThat(load(Map.of()).plugins().breakerFailures()).isEqualTo(5);
        assertThat(load(Map.of()).plugins().breakerCoolDown()).isEqualTo(Duration.ofSeconds(30));

        write("plugins:\n  breaker:\n    failures: 10\n    coolDown: 2m\n");
        assertThat(load(Map.of()).plugins().breakerFailures()).isEqualTo(10);
        assertThat(load(Map.of("SHEPHERD_PLUGINS_BREAKER_COOL_DOWN", "5s")).plugins().breakerCoolDown())
                .isEqualTo(Duration.ofSeconds(5));
        assertThatThrownBy(() -> load(Map.of("SHEPHERD_PLUGINS_BREAKER_FAILURES", "0")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("Configuration key 'plugins.breaker.failures' must be between 1 and 10000");
    }

    @Test
    void theDeprovisioningPolicyFlagsByDefaultAndRetiresWhenAsked() throws IOException {
        assertThat(load(Map.of()).deprovisioning()).isEqualTo(DeprovisioningPolicy.FLAG_ONLY);

        write("directory:\n  deprovision:\n    action: retire\n    graceHours: 12\n");
        assertThat(load(Map.of()).deprovisioning())
                .isEqualTo(new DeprovisioningPolicy(DeprovisioningPolicy.Action.RETIRE, Duration.ofHours(12)));
        assertThatThrownBy(() -> load(Map.of("SHEPHERD_DIRECTORY_DEPROVISION_ACTION", "wipe")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("Configuration key 'directory.deprovision.action' must be flag or retire");
        assertThatThrownBy(() -> load(Map.of("SHEPHERD_DIRECTORY_DEPROVISION_GRACE_HOURS", "-1")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("Configuration key 'directory.deprovision.graceHours'");
    }

    @Test
    void aBadValueInTheFileNamesTheFile() throws IOException {
        write("plugins:\n  callTimeout: soon\n");

        assertThatThrownBy(() -> load(Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("Configuration key 'plugins.callTimeout' must be a duration")
                .hasMessageContaining("shepherd.yaml");
    }

    @Test
    void anUnknownKeyStopsStartUp() throws IOException {
        write("http:\n  prot: 80\n");

        assertThatThrownBy(() -> load(Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("Unknown configuration key 'http.prot'");
    }

    @Test
    void brokenYamlIsReportedWithItsLine() throws IOException {
        write("http:\n  port: [8080\n");

        assertThatThrownBy(() -> load(Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("is not valid YAML");
    }

    @Test
    void passwordsAreNeverEchoed() {
        assertThatThrownBy(() -> load(Map.of("SHEPHERD_BOOTSTRAP_ADMIN_USER", "root")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("must be set together");
        assertThat(load(Map.of("SHEPHERD_DATABASE_PASSWORD", "s3cret")).database().toString()).doesNotContain("s3cret");
    }

    @Test
    void everyKeyHasADerivedEnvironmentVariable() {
        assertThat(ConfigLoader.environmentName("http.port")).isEqualTo("SHEPHERD_HTTP_PORT");
        assertThat(ConfigLoader.environmentName("dataDir")).isEqualTo("SHEPHERD_DATA_DIR");
        assertThat(ConfigLoader.environmentName("pluginsDir")).isEqualTo("SHEPHERD_PLUGINS_DIR");
        assertThat(ConfigLoader.environmentName("plugins.scanInterval")).isEqualTo("SHEPHERD_PLUGINS_SCAN_INTERVAL");
    }

    private ShepherdConfig load(Map<String, String> environment) {
        return new ConfigLoader(environment).load(home, home.resolve("conf/shepherd.yaml"));
    }

    private void write(String yaml) throws IOException {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), yaml);
    }
}
