package dev.shepherd.http;

import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Large plugin bodies go through files: an admin endpoint that takes its uploads as files gets them past the server's
 * {@code http.maxRequestBytes}, bounded by its own limit, and file responses are streamed to admins and devices.
 */
class StreamedPluginBodiesTest {

    private static final Duration WITHIN = Duration.ofSeconds(10);
    private static final String ADMIN = TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
    private static final int SERVER_LIMIT = 64 * 1024;
    private static final String FILES = "/api/v1/plugins/uploads/files";

    /**
     * {@code /files}: POST takes the body as a file (limit from the setting {@code streamedKiB}) and answers what it got
     * ({@code ?keep} moves it to the plugin's data directory, {@code ?fail} throws); GET answers the kept file, or a
     * region of it. {@code /small} takes bodies in memory. The device endpoint serves the kept file too.
     */
    private static final String UPLOADS = """
            package acme.uploads;

            import dev.shepherd.api.config.PluginConfig;
            import dev.shepherd.api.config.PluginDataDirectory;
            import dev.shepherd.api.http.*;
            import jakarta.inject.Inject;
            import org.pf4j.Extension;
            import java.io.InputStream;
            import java.io.OutputStream;
            import java.nio.file.Files;
            import java.nio.file.Path;
            import java.nio.file.StandardCopyOption;
            import java.nio.file.attribute.PosixFilePermissions;
            import java.security.DigestInputStream;
            import java.security.MessageDigest;
            import java.util.HexFormat;

            @Extension
            public class Uploads implements AdminEndpoint {
                private final PluginConfig config;
                private final PluginDataDirectory data;

                @Inject
                public Uploads(PluginConfig config, PluginDataDirectory data) {
                    this.config = config;
                    this.data = data;
                }

                public String path() { return "/files"; }
                public String permission() { return "plugin_manage"; }
                public long maxStreamedBodyBytes() { return config.getInt("streamedKiB", 0) * 1024L; }

                public DeviceResponse handle(AdminRequest request) throws Exception {
                    Path kept = data.path().resolve("kept.bin");
                    if (request.method().equals("GET")) {
                        return Downloads.region(kept, request.queryParameter("offset"), request.queryParameter("length"));
                    }
                    Path file = request.bodyFile().orElseThrow();
                    MessageDigest digest = MessageDigest.getInstance("SHA-256");
                    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
                        in.transferTo(OutputStream.nullOutputStream());
                    }
                    String answer = request.body().length + " " + Files.size(file) + " " + HexFormat.of().formatHex(digest.digest())
                            + " " + PosixFilePermissions.toString(Files.getPosixFilePermissions(file)) + " " + file;
                    if (request.queryParameter("fail").isPresent()) {
                        throw new IllegalStateException("failing on purpose");
                    }
                    if (request.queryParameter("keep").isPresent()) {
                        Files.move(file, kept, StandardCopyOption.REPLACE_EXISTING);
                    }
                    return DeviceResponse.text(200, answer);
                }
            }
            """;

    private static final String DOWNLOADS = """
            package acme.uploads;

            import dev.shepherd.api.config.PluginDataDirectory;
            import dev.shepherd.api.http.*;
            import jakarta.inject.Inject;
            import org.pf4j.Extension;
            import java.io.IOException;
            import java.nio.file.Files;
            import java.nio.file.Path;
            import java.util.Optional;

            @Extension
            public class Downloads implements DeviceEndpoint {
                private final PluginDataDirectory data;

                @Inject
                public Downloads(PluginDataDirectory data) {
                    this.data = data;
                }

                public DeviceResponse handle(DeviceRequest request) throws IOException {
                    return region(data.path().resolve("kept.bin"), request.queryParameter("offset"), request.queryParameter("length"));
                }

                static DeviceResponse region(Path file, Optional<String> offsetText, Optional<String> lengthText) throws IOException {
                    long size = Files.size(file);
                    long offset = Long.parseLong(offsetText.orElse("0"));
                    long length = lengthText.map(Long::parseLong).orElse(size - offset);
                    DeviceResponse response = DeviceResponse.ofFile(offset == 0 && length == size ? 200 : 206, "application/octet-stream",
                            file, offset, length);
                    return response.status() == 200 ? response
                            : response.withHeader("Content-Range", "bytes " + offset + "-" + (offset + length - 1) + "/" + size);
                }
            }
            """;

    private static final String SMALL = """
            package acme.uploads;

            import dev.shepherd.api.http.*;
            import org.pf4j.Extension;

            @Extension
            public class Small implements AdminEndpoint {
                public String path() { return "/small"; }
                public String permission() { return "plugin_manage"; }
                public int maxBodyBytes() { return 3 * 1024 * 1024; }

                public DeviceResponse handle(AdminRequest request) {
                    return DeviceResponse.text(200, request.body().length + " bytes in memory");
                }
            }
            """;

    @TempDir
    Path home;
    @TempDir
    Path build;
    private TestServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aStreamedUploadPastTheServersLimitReachesThePluginAsAnOwnerOnlyFileThatIsDeletedWhenTheCallEnds() throws Exception {
        start(3 * 1024);
        byte[] upload = randomBytes(2 * 1024 * 1024, 1);

        HttpResponse<String> answered = post(FILES, upload);

        assertThat(answered.statusCode()).as(answered.body()).isEqualTo(200);
        String[] parts = answered.body().split(" ");
        assertThat(parts[0]).as("body() is empty").isEqualTo("0");
        assertThat(parts[1]).isEqualTo(Integer.toString(upload.length));
        assertThat(parts[2]).isEqualTo(sha256(upload));
        assertThat(parts[3]).isEqualTo("rw-------");
        assertThat(Path.of(parts[4])).startsWithRaw(spool());
        assertThat(Files.exists(Path.of(parts[4]))).isFalse();
        assertThat(spooled()).isEmpty();

        HttpResponse<String> failed = post(FILES + "?fail=1", upload);
        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(failed.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(spooled()).as("deleted when the plugin throws, too").isEmpty();
    }

    @Test
    void aFileTheEndpointMovedIsKeptAndFileResponsesArriveWholeOrByRegionToAdminsAndDevices() throws Exception {
        start(3 * 1024);
        byte[] upload = randomBytes(2 * 1024 * 1024 + 17, 2);
        assertThat(post(FILES + "?keep=1", upload).statusCode()).isEqualTo(200);
        assertThat(spooled()).isEmpty();

        HttpResponse<byte[]> whole = server.send(HttpRequest.newBuilder(server.uri(FILES)).header("Authorization", ADMIN).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.headers().firstValueAsLong("Content-Length")).hasValue(upload.length);
        assertThat(whole.body()).isEqualTo(upload);

        HttpResponse<byte[]> region = server.send(HttpRequest.newBuilder(server.uri(FILES + "?offset=100000&length=70000"))
                .header("Authorization", ADMIN).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(region.statusCode()).isEqualTo(206);
        assertThat(region.headers().firstValue("Content-Range")).hasValue("bytes 100000-169999/" + upload.length);
        assertThat(region.body()).isEqualTo(Arrays.copyOfRange(upload, 100_000, 170_000));

        HttpResponse<byte[]> device = server.send(HttpRequest.newBuilder(server.uri("/mdm/uploads/?offset=" + (upload.length - 5)))
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(device.statusCode()).isEqualTo(206);
        assertThat(device.body()).isEqualTo(Arrays.copyOfRange(upload, upload.length - 5, upload.length));
        HttpResponse<byte[]> deviceWhole = server.send(HttpRequest.newBuilder(server.uri("/mdm/uploads/")).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(deviceWhole.body()).isEqualTo(upload);

        HttpResponse<byte[]> head = server.send(HttpRequest.newBuilder(server.uri("/mdm/uploads/"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(upload.length);
        assertThat(head.body()).isEmpty();

        HttpResponse<String> pastTheEnd = server.send(HttpRequest.newBuilder(server.uri("/mdm/uploads/?offset=10&length=" + upload.length))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(pastTheEnd.statusCode()).as("a region the file does not have fails before anything is sent").isEqualTo(500);
        assertThat(pastTheEnd.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @Test
    void aBodyPastTheEndpointsOwnLimitIs413WithoutCallingThePluginAndLeavesNoFile() throws Exception {
        start(1024);
        int limit = 1024 * 1024;

        String declared = raw("POST " + FILES + "?keep=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: " + ADMIN
                + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + (limit + 1) + "\r\n\r\n", new byte[0]);
        assertThat(declared).startsWith("HTTP/1.1 413").contains("application/problem+json").contains("at most " + limit + " bytes");

        // One byte past the limit and no more, so the server, which stops reading there, leaves nothing unread.
        StringBuilder chunked = new StringBuilder();
        String chunk = "x".repeat(64 * 1024);
        for (int sent = 0; sent < limit / chunk.length(); sent++) {
            chunked.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
        }
        chunked.append("1\r\nx\r\n0\r\n\r\n");
        String undeclared = raw("POST " + FILES + "?keep=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: " + ADMIN
                        + "\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
                chunked.toString().getBytes(StandardCharsets.US_ASCII));
        assertThat(undeclared).startsWith("HTTP/1.1 413").contains("application/problem+json");

        assertThat(spooled()).isEmpty();
        assertThat(server.server().config().dataDir().resolve("plugin-data/uploads/kept.bin")).as("the plugin was never called").doesNotExist();
        assertThat(post(FILES, randomBytes(limit, 3)).statusCode()).as("exactly the limit is taken").isEqualTo(200);
    }

    @Test
    void anEndpointThatTakesBodiesInMemoryKeepsTheServersLimit() throws Exception {
        start(3 * 1024);

        HttpResponse<String> small = post("/api/v1/plugins/uploads/small", randomBytes(SERVER_LIMIT / 2, 4));
        assertThat(small.body()).isEqualTo(SERVER_LIMIT / 2 + " bytes in memory");

        String large = raw("POST /api/v1/plugins/uploads/small HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: " + ADMIN
                + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + 2 * 1024 * 1024 + "\r\n\r\n", randomBytes(2 * 1024 * 1024, 5));
        assertThat(large).startsWith("HTTP/1.1 413").contains("application/problem+json").doesNotContain("bytes in memory");
    }

    @Test
    void sixtyFourMebibytesGoUpAndComeBackThroughFilesAtAnHttpLimitOf64KiB() throws Exception {
        start(80 * 1024);
        Path upload = build.resolve("upload.bin");
        MessageDigest written = MessageDigest.getInstance("SHA-256");
        try (OutputStream out = Files.newOutputStream(upload)) {
            Random random = new Random(6);
            byte[] block = new byte[1024 * 1024];
            for (int i = 0; i < 64; i++) {
                random.nextBytes(block);
                written.update(block);
                out.write(block);
            }
        }
        String sha256 = HexFormat.of().formatHex(written.digest());

        HttpResponse<String> answered = server.send(HttpRequest.newBuilder(server.uri(FILES + "?keep=1")).header("Authorization", ADMIN)
                .header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofFile(upload)).build());
        assertThat(answered.statusCode()).as(answered.body()).isEqualTo(200);
        assertThat(answered.body()).startsWith("0 " + 64 * 1024 * 1024 + " " + sha256 + " ");

        HttpResponse<InputStream> download = server.send(HttpRequest.newBuilder(server.uri("/mdm/uploads/")).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        MessageDigest read = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(download.body(), read)) {
            assertThat(in.transferTo(OutputStream.nullOutputStream())).isEqualTo(64L * 1024 * 1024);
        }
        assertThat(HexFormat.of().formatHex(read.digest())).isEqualTo(sha256);
    }

    private void start(int streamedKiB) throws IOException {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), """
                plugins:
                  config:
                    uploads:
                      streamedKiB: %d
                """.formatted(streamedKiB));
        server = TestServer.start(home, Map.of("SHEPHERD_HTTP_MAX_REQUEST_BYTES", Integer.toString(SERVER_LIMIT)));
        Files.copy(plugin("uploads", "1.0.0").source(UPLOADS).source(DOWNLOADS).source(SMALL).buildZip(build, "uploads.zip"),
                server.pluginsDir().resolve("uploads.zip"));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.getAsAdmin("/api/v1/plugins/uploads/small").statusCode()).isEqualTo(200));
    }

    private HttpResponse<String> post(String path, byte[] body) {
        return server.send(HttpRequest.newBuilder(server.uri(path)).header("Authorization", ADMIN)
                .header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    /** Sends a request as written, then reads the answer; a server that stopped reading may refuse the rest of the body. */
    private String raw(String head, byte[] body) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.server().httpPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            try {
                out.write(body);
                out.flush();
            } catch (IOException refusedMidway) {
                // the answer was sent already; it is read below
            }
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private Path spool() {
        return server.server().config().dataDir().resolve("request-bodies");
    }

    private List<Path> spooled() throws IOException {
        try (Stream<Path> files = Files.list(spool())) {
            return files.toList();
        }
    }

    private static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
