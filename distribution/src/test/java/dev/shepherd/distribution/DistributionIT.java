package dev.shepherd.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.ShepherdApi;
import dev.shepherd.storage.Dialect;
import dev.shepherd.testing.TestStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The assembled distribution run as an operator runs it: {@code bin/shepherd} in its own process, the example
 * plugin's real file dropped into, replaced in and removed from its plugins directory.
 */
class DistributionIT {

    /** The README's bootstrap password, so docs/api.md runs verbatim. */
    private static final String ADMIN_PASSWORD = "change-me-now-please";

    @TempDir
    Path installation;
    private Process process;
    private Path log;
    private int port;
    private int tlsPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void install() throws IOException {
        copyTree(Path.of(System.getProperty("shepherd.distribution")), installation);
        port = freePort();
        tlsPort = freePort();
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theServerStartsServesHealthOverHttpAndHttpsAndStopsGracefullyOnSigterm() throws Exception {
        start();

        HttpResponse<String> health = get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(json.readTree(health.body()).path("status").asText()).isEqualTo("UP");
        assertThat(Files.exists(installation.resolve("data/db"))).as("an embedded Derby store only without a database URL")
                .isEqualTo(TestStore.engine() == Dialect.DERBY);
        assertThat(Files.exists(installation.resolve("data/tls/server.p12"))).isTrue();
        assertThat(httpsHealthStatus()).isEqualTo(200);

        process.destroy(); // SIGTERM
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("stopped within 30 s").isTrue();
        assertThat(Files.readString(log)).contains("Shutting down").contains("Stopped");
    }

    @Test
    void theExamplePluginIsLoadedUpgradedAndRemovedWithoutARestart() throws Exception {
        start();
        Path example = Path.of(System.getProperty("shepherd.helloPlugin"));
        Path installed = installation.resolve("plugins/hello.zip");

        Files.copy(example, installed);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(get("/mdm/hello/hello").statusCode()).isEqualTo(200));
        assertThat(json.readTree(get("/mdm/hello/hello").body()).path("version").asText()).isEqualTo("1.0.0");

        Path newer = installation.resolve("hello-1.0.1.zip");
        withPluginVersion(example, newer, "1.0.1");
        Files.move(newer, installed, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(json.readTree(get("/mdm/hello/hello").body()).path("version").asText()).isEqualTo("1.0.1"));

        Files.delete(installed);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(get("/mdm/hello/hello").statusCode()).isEqualTo(404));
        assertThat(process.isAlive()).isTrue();
    }

    private static final Set<String> BUNDLED = Set.of("apple-ios", "apple-macos", "windows", "android", "chromeos",
            "appstore-apple", "appstore-private", "appstore-google-play", "identity-ldap", "identity-scim", "identity-oidc",
            "threat-webhook", "threat-defender", "threat-lookout");

    @Test
    void badPluginFilesAreListedAsFailedByTheApiAndTheCli() throws Exception {
        start();
        Files.write(installation.resolve("plugins/corrupt.jar"), "not a jar".getBytes(StandardCharsets.UTF_8));
        Path incompatible = installation.resolve("plugins/hello-future.zip");
        withManifest(Path.of(System.getProperty("shepherd.helloPlugin")), incompatible, "Plugin-Requires", "^9.0.0");

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode items = json.readTree(getAsAdmin("/api/v1/plugins").body()).path("items");
            assertThat(items).hasSize(16);
            assertThat(items).filteredOn(item -> !BUNDLED.contains(item.path("id").asText())).hasSize(2)
                    .allSatisfy(item -> assertThat(item.path("state").asText()).isEqualTo("FAILED"));
            assertThat(items).filteredOn(item -> BUNDLED.contains(item.path("id").asText())).as("the bundled plugins")
                    .extracting(item -> item.path("id").asText() + " " + item.path("state").asText())
                    .containsExactlyInAnyOrder("apple-ios STARTED", "apple-macos STARTED", "windows STARTED", "android STARTED",
                            "chromeos STARTED", "appstore-apple STARTED", "appstore-private STARTED",
                            "appstore-google-play STARTED", "identity-ldap STARTED", "identity-scim STARTED", "identity-oidc STARTED",
                            "threat-webhook STARTED", "threat-defender STARTED", "threat-lookout STARTED");
        });
        assertThat(get("/health").statusCode()).isEqualTo(200);

        ProcessBuilder cliBuilder = new ProcessBuilder(installation.resolve("bin/shepherd").toString(), "plugins", "list",
                "--url", "http://127.0.0.1:" + port, "--username", "admin").redirectErrorStream(true);
        cliBuilder.environment().put("SHEPHERD_ADMIN_PASSWORD", ADMIN_PASSWORD);
        Process cli = cliBuilder.start();
        cli.getOutputStream().close();
        String output;
        try (InputStream in = cli.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(cli.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(output).contains("corrupt.jar").contains("FAILED").contains("requires plugin API ^9.0.0 but this server provides " + ShepherdApi.version());
    }

    @Test
    void theApiWalkthroughInTheDocsWorksVerbatim() throws Exception {
        start();
        Path docs = Path.of(System.getProperty("shepherd.docs")).resolve("api.md");
        StringBuilder script = new StringBuilder("set -e\n");
        boolean inBlock = false;
        for (String line : Files.readAllLines(docs, StandardCharsets.UTF_8)) {
            if (line.startsWith("```sh")) {
                inBlock = true;
            } else if (line.startsWith("```")) {
                inBlock = false;
            } else if (inBlock) {
                script.append(line.replace("SHEPHERD=http://localhost:8080", "SHEPHERD=http://127.0.0.1:" + port)).append('\n');
            }
        }
        assertThat(script.toString()).contains("api/v1/auth/login").contains("api/v1/audit");
        Path workDir = Files.createTempDirectory(installation, "walkthrough");
        Process walkthrough = new ProcessBuilder("bash", "-c", script.toString()).directory(workDir.toFile())
                .redirectErrorStream(true).start();
        String output;
        try (InputStream in = walkthrough.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(walkthrough.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(walkthrough.exitValue()).as(output).isZero();
        assertThat(output).contains("\"type\":\"LOCK\"").contains("REFRESH_INVENTORY").contains("policy.assign")
                .contains("group.add-members").contains("\"intact\":true");
    }

    @Test
    void aBadConfigurationValueStopsStartUpNamingTheKey() throws Exception {
        ProcessBuilder builder = new ProcessBuilder(installation.resolve("bin/shepherd").toString()).redirectErrorStream(true);
        builder.environment().put("SHEPHERD_HTTP_PORT", "not-a-port");
        Process failing = builder.start();
        String output;
        try (InputStream in = failing.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(failing.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(failing.exitValue()).isEqualTo(2);
        assertThat(output).contains("Configuration key 'http.port' must be an integer").contains("SHEPHERD_HTTP_PORT")
                .doesNotContain("Exception");
    }

    @Test
    void helpListsTheCommands() throws Exception {
        Process help = new ProcessBuilder(installation.resolve("bin/shepherd").toString(), "--help").redirectErrorStream(true).start();
        String output;
        try (InputStream in = help.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(help.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(output).contains("run").contains("admin").contains("plugins").contains("config");
    }

    private void start() throws IOException {
        log = installation.resolve("server.log");
        ProcessBuilder builder = new ProcessBuilder(installation.resolve("bin/shepherd").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("SHEPHERD_HTTP_PORT", Integer.toString(port));
        builder.environment().put("SHEPHERD_HTTPS_PORT", Integer.toString(tlsPort));
        builder.environment().put("SHEPHERD_HTTP_HOST", "127.0.0.1");
        builder.environment().put("SHEPHERD_BOOTSTRAP_ADMIN_USER", "admin");
        builder.environment().put("SHEPHERD_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
        builder.environment().put("JAVA_OPTS", "-Xmx512m");
        // Embedded Derby by default; in the PostgreSQL run, a database of this installation's own.
        builder.environment().putAll(TestStore.environment(installation));
        process = builder.start();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptionsInstanceOf(IOException.class).untilAsserted(() -> {
            assertThat(process.isAlive()).as("server process alive; log:\n" + Files.readString(log)).isTrue();
            assertThat(get("/health").statusCode()).isEqualTo(200);
        });
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Signs in as the console does (HTTP Basic is off by default), then reads with the session cookie. */
    private HttpResponse<String> getAsAdmin(String path) throws IOException, InterruptedException {
        HttpResponse<String> signedIn = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/auth/login"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(Map.of("username", "admin", "password", ADMIN_PASSWORD))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(200);
        String cookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0];
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Cookie", cookie).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** HTTPS with the generated self-signed certificate: trust exactly that certificate, as a pinned client would. */
    private int httpsHealthStatus() throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        char[] password = Files.readString(installation.resolve("data/tls/server.p12.password")).trim().toCharArray();
        try (InputStream in = Files.newInputStream(installation.resolve("data/tls/server.p12"))) {
            store.load(in, password);
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("shepherd", store.getCertificate("shepherd"));
        javax.net.ssl.TrustManagerFactory factory = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        factory.init(trust);
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        HttpClient client = HttpClient.newBuilder().sslContext(context).build();
        return client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + tlsPort + "/health")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    /** A newer release of the example plugin: the same code with a higher Plugin-Version. */
    private static void withPluginVersion(Path zip, Path target, String version) throws IOException {
        withManifest(zip, target, "Plugin-Version", version);
    }

    private static void withManifest(Path zip, Path target, String attribute, String value) throws IOException {
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip));
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(target))) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                out.putNextEntry(new ZipEntry(entry.getName()));
                if (entry.getName().startsWith("lib/hello-plugin")) {
                    out.write(rewriteManifest(in.readAllBytes(), attribute, value));
                } else {
                    in.transferTo(out);
                }
                out.closeEntry();
            }
        }
    }

    private static byte[] rewriteManifest(byte[] jar, String attribute, String value) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            Manifest manifest = new Manifest(in.getManifest());
            manifest.getMainAttributes().put(new Attributes.Name(attribute), value);
            try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
                for (JarEntry entry; (entry = in.getNextJarEntry()) != null; ) {
                    out.putNextEntry(new JarEntry(entry.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
        return bytes.toByteArray();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void copyTree(Path source, Path target) throws IOException {
        List<Path> paths;
        try (var walk = Files.walk(source)) {
            paths = new ArrayList<>(walk.toList());
        }
        for (Path path : paths) {
            Path destination = target.resolve(source.relativize(path).toString());
            if (Files.isDirectory(path)) {
                Files.createDirectories(destination);
            } else {
                Files.copy(path, destination, StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
