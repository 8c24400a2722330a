package dev.shepherd.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.device.DeviceImport;
import dev.shepherd.plugin.PluginState;
import dev.shepherd.storage.Dialect;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import dev.shepherd.testing.TestStore;
import dev.shepherd.testing.TestTls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collections;
import javax.net.ssl.SSLSocket;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The small things a hostile or careless client tries, through the running server: every refusal is a problem
 * document without Java's names in it, bodies are bounded however they are sent, JSON and names are unambiguous,
 * the data directory is the server's alone, plugin archives cannot bomb the disk, and the generated TLS certificate
 * is one Apple devices accept.
 */
class HttpHygieneTest {

    private static final String ADMIN = TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);

    @TempDir
    Path home;
    private TestServer server;
    private final ObjectMapper json = new ObjectMapper();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void badRequestsAreProblemDocumentsThatNameNoJavaTypes() throws Exception {
        server = TestServer.start(home);
        String device = importIPhone("HY1", "Hygiene");

        for (HttpResponse<String> response : List.of(
                send("POST", "/api/v1/devices/" + device + "/commands", "{\"type\":\"SELF_DESTRUCT\"}"),
                send("POST", "/api/v1/devices/" + device + "/commands", "{\"type\":\"LOCK\",\"priority\":\"high\"}"),
                send("POST", "/api/v1/devices/" + device + "/commands", "{\"type\":\"LOCK\",\"parameters\":[1,2]}"),
                send("POST", "/api/v1/groups", "[\"a list\"]"),
                send("POST", "/api/v1/enrollment-tokens", "{\"name\":\"x\",\"ownership\":\"RENTED\",\"validForHours\":1}"),
                send("GET", "/api/v1/devices?status=bogus", null),
                send("GET", "/api/v1/devices?limit=ten", null))) {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            String detail = json.readTree(response.body()).path("detail").asText();
            assertThat(detail).as(detail).isNotBlank().doesNotContain("java.").doesNotContain("dev.shepherd").doesNotContain("`")
                    .doesNotContain("Exception").doesNotContainPattern("\\b[a-z]+\\.[a-z]+\\.[A-Z]");
        }
        assertThat(json.readTree(send("POST", "/api/v1/devices/" + device + "/commands", "{\"type\":\"SELF_DESTRUCT\"}").body())
                .path("detail").asText()).contains("'SELF_DESTRUCT' is not one of LOCK, WIPE");
        assertThat(Problem.withoutJavaNames("No enum constant dev.shepherd.api.command.CommandType.NOPE")).isEqualTo("'NOPE' is not a known value");
        assertThat(Problem.withoutJavaNames("Cannot deserialize value of type `java.lang.Integer` from String"))
                .isEqualTo("Cannot deserialize value of type a whole number from String");
    }

    @Test
    void anOverlongUrlIsAProblemDocumentAndSoIsAWellFormedButMeaninglessEscape() throws Exception {
        server = TestServer.start(home);

        HttpResponse<String> longUrl = send("GET", "/api/v1/devices?name=" + "a".repeat(40_000), null);
        HttpResponse<String> overlongUtf8 = send("GET", "/api/v1/devices/%C0%AF", null);

        assertThat(longUrl.statusCode()).isEqualTo(414);
        assertThat(longUrl.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(overlongUtf8.statusCode()).isEqualTo(404);
        assertThat(overlongUtf8.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @Test
    void wellFormedEscapesDecodeAsUtf8AndAMalformedOneIsRefusedWithoutHarmingTheServer() throws Exception {
        server = TestServer.start(home);
        String device = importIPhone("HY3", "Café Bar");

        for (String name : List.of("Caf%C3%A9%20Bar", "Caf%C3%A9+Bar", "Caf%c3%a9+B")) {
            HttpResponse<String> search = send("GET", "/api/v1/devices?name=" + name, null);
            assertThat(search.statusCode()).as(name).isEqualTo(200);
            assertThat(json.readTree(search.body()).path("items").size()).as(name).isEqualTo(1);
            assertThat(search.body()).as(name).contains(device);
        }
        HttpResponse<String> byEscapedId = send("GET", "/api/v1/devices/" + device.replace("-", "%2D"), null);
        assertThat(byEscapedId.statusCode()).isEqualTo(200);
        assertThat(byEscapedId.body()).contains(device).contains("Café Bar");

        // Undertow's own parser refuses a malformed escape before any handler runs (a bare 400 and the connection
        // closed; it offers no hook to answer otherwise): the request is refused, and the server carries on.
        for (String target : List.of("/api/v1/devices?name=%zz", "/api/v1/%zz", "/mdm/apple-ios/%zz", "/console/%zz")) {
            assertThat(rawGet(target)).as(target).startsWith("HTTP/1.1 400");
            assertThat(send("GET", "/api/v1/devices/" + device, null).statusCode()).as(target).isEqualTo(200);
        }
    }

    /** @return the id of a new corporate iPhone with this serial number and name */
    private String importIPhone(String serial, String name) {
        return server.server().kernel().devices().importDevices(TestKernel.ADMIN, List.of(new DeviceImport(Platform.IOS, serial,
                "iPhone", name, Ownership.CORPORATE, Map.of("udid", serial), Set.of()))).get(0).toString();
    }

    private String rawGet(String target) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.server().httpPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + ADMIN
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void anOversizedChunkedBodyIsAnswered413NotDropped() throws Exception {
        server = TestServer.start(home, Map.of("SHEPHERD_HTTP_MAX_REQUEST_BYTES", "65536"));

        String response;
        try (Socket socket = new Socket("127.0.0.1", server.server().httpPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/v1/groups HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + ADMIN
                    + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String chunk = "{\"name\":\"" + "x".repeat(16 * 1024);
            for (int sent = 0; sent < 5; sent++) {
                out.write((Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n").getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
            InputStream in = socket.getInputStream();
            response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }

        assertThat(response).startsWith("HTTP/1.1 413").contains("application/problem+json").contains("\"status\":413");
        assertThat(server.server().kernel().groups().list()).extracting(group -> group.name()).containsExactly("Quarantined devices");
    }

    @Test
    void duplicateKeysAndControlCharactersInNamesAreRefused() throws Exception {
        server = TestServer.start(home);
        String device = importIPhone("HY2", "Named");

        HttpResponse<String> duplicate = send("POST", "/api/v1/admins",
                "{\"username\":\"dupe\",\"password\":\"pebble-Orchard-kestrel\",\"role\":\"AUDITOR\",\"role\":\"ADMIN\"}");
        HttpResponse<String> bell = send("POST", "/api/v1/groups", "{\"name\":\"Lab\\u0007\"}");
        HttpResponse<String> newline = send("POST", "/api/v1/policies", "{\"name\":\"Fine\\nFORGED audit line\",\"settings\":[]}");
        HttpResponse<String> bidi = send("PATCH", "/api/v1/devices/" + device, "{\"name\":\"iPhone \\u202Egnp.exe\"}");
        HttpResponse<String> imported = send("POST", "/api/v1/devices/import",
                "{\"devices\":[{\"platform\":\"ios\",\"serialNumber\":\"S1\",\"name\":\"tab\\there\",\"hardwareIds\":{\"udid\":\"U9\"}}]}");
        HttpResponse<String> admin = send("POST", "/api/v1/admins", "{\"username\":\"eve\\r\\n\",\"password\":\"pebble-Orchard-kestrel\",\"role\":\"AUDITOR\"}");

        assertThat(duplicate.statusCode()).isEqualTo(400);
        assertThat(json.readTree(duplicate.body()).path("detail").asText()).contains("Duplicate field 'role'");
        assertThat(server.server().adminUsers().find("dupe")).isEmpty();
        for (HttpResponse<String> refused : List.of(bell, newline, bidi, imported, admin)) {
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
            assertThat(json.readTree(refused.body()).path("detail").asText()).contains("control characters");
        }
        assertThat(server.server().kernel().groups().list()).extracting(group -> group.name()).containsExactly("Quarantined devices");
        assertThat(send("POST", "/api/v1/groups", "{\"name\":\"Lab — 2nd floor ✓\"}").statusCode()).as("any printable text is fine").isEqualTo(201);
    }

    @Test
    void theDataDirectoryAndEverySecretInItAreTheServersAlone() throws Exception {
        server = TestServer.start(home, Map.of("SHEPHERD_HTTPS_PORT", "0"));
        Path data = server.server().config().dataDir();

        assertThat(Files.getPosixFilePermissions(data)).containsExactlyInAnyOrder(
                PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
        for (Path secret : new Path[]{data.resolve("keys/secrets.key"), data.resolve("tls/server.p12"), data.resolve("tls/server.p12.password")}) {
            assertThat(Files.getPosixFilePermissions(secret)).as(secret.toString())
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        }
        for (Path directory : new Path[]{data.resolve("keys"), data.resolve("tls")}) {
            assertThat(Files.getPosixFilePermissions(directory)).as(directory.toString()).doesNotContain(
                    PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);
        }
        if (TestStore.engine() != Dialect.DERBY) {
            return; // the store is a database server's, not files in the data directory
        }
        try (Stream<Path> database = Files.walk(data.resolve("db"))) {
            database.filter(Files::isRegularFile).forEach(file -> {
                try {
                    assertThat(Files.getPosixFilePermissions(file)).as(file.toString())
                            .doesNotContain(PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    @Test
    void theGeneratedTlsCertificateIsValidForNoMoreThanApplesLimit() throws Exception {
        server = TestServer.start(home, Map.of("SHEPHERD_HTTPS_PORT", "0"));

        X509Certificate certificate;
        try (SSLSocket socket = (SSLSocket) TestTls.trustingAnyServer().getSocketFactory().createSocket("127.0.0.1", server.server().httpsPort())) {
            socket.startHandshake();
            certificate = (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }

        Duration validity = Duration.between(certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant());
        assertThat(validity).isLessThanOrEqualTo(Duration.ofDays(825)).isGreaterThan(Duration.ofDays(365));
    }

    @Test
    void aPluginArchiveThatExpandsLikeAZipBombIsRefusedAndTheServerCarriesOn() throws Exception {
        server = TestServer.start(home);
        Path build = Files.createTempDirectory(home, "build");
        Path honest = plugin("inflated", "1.0.0").buildZip(build, "honest.zip");
        Path bomb = build.resolve("inflated.zip");
        try (ZipFile source = new ZipFile(honest.toFile()); ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(bomb))) {
            for (ZipEntry entry : Collections.list(source.entries())) {
                out.putNextEntry(new ZipEntry(entry.getName()));
                try (InputStream in = source.getInputStream(entry)) {
                    in.transferTo(out);
                }
            }
            out.putNextEntry(new ZipEntry("lib/padding.bin"));
            byte[] zeros = new byte[1024 * 1024];
            for (int mebibyte = 0; mebibyte < 64; mebibyte++) {
                out.write(zeros);
            }
        }
        assertThat(Files.size(bomb)).isLessThan(1024 * 1024);

        Files.copy(bomb, server.pluginsDir().resolve("inflated.zip"));

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(server.server().plugins().plugins())
                .filteredOn(info -> info.file().contains("inflated")).singleElement().satisfies(info -> {
                    assertThat(info.state()).isEqualTo(PluginState.FAILED);
                    assertThat(info.failureReason()).hasValueSatisfying(reason -> assertThat(reason).contains("zip bomb"));
                }));
        assertThat(server.get("/health").statusCode()).isEqualTo(200);
        try (Stream<Path> work = Files.walk(server.server().config().dataDir().resolve("plugin-work"))) {
            long unpacked = work.filter(Files::isRegularFile).mapToLong(path -> path.toFile().length()).sum();
            assertThat(unpacked).as("unpacking stopped early").isLessThan(16L * 1024 * 1024);
        }
    }

    private HttpResponse<String> send(String method, String path, String body) {
        return server.sendAsAdmin(method, path, body);
    }

}
