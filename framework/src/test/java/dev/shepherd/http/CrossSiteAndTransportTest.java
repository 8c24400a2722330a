package dev.shepherd.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.testing.TestServer;
import dev.shepherd.testing.TestTls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Browsers cannot be made to act for an admin by another site, and admins reach the console over TLS worth the
 * name: through the running server, with its real listeners.
 */
class CrossSiteAndTransportTest {

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
    void basicAuthIsOffByDefaultAndNoResponseChallengesABrowserForIt() {
        server = TestServer.start(home, Map.of("SHEPHERD_SECURITY_BASIC_AUTH", "false"));

        HttpResponse<String> basic = server.getAsAdmin("/api/v1/devices");
        HttpResponse<String> anonymous = server.send(HttpRequest.newBuilder(server.uri("/api/v1/devices"))
                .header("Accept", "text/html").header("Sec-Fetch-Mode", "navigate").GET().build());

        assertThat(basic.statusCode()).isEqualTo(401);
        assertThat(basic.body()).contains("security.basicAuth");
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().allValues("WWW-Authenticate")).noneMatch(value -> value.toLowerCase().contains("basic"));
        assertThat(basic.headers().allValues("WWW-Authenticate")).noneMatch(value -> value.toLowerCase().contains("basic"));
    }

    @Test
    void aCrossOriginPlainTextPostWithCachedBasicCredentialsIsRefusedAndChangesNothing() throws Exception {
        server = TestServer.start(home); // Basic on, as an operator may turn it on for scripts
        String groups = "/api/v1/groups";
        String body = "{\"name\":\"made by another site\"}";

        HttpResponse<String> foreignOrigin = server.send(HttpRequest.newBuilder(server.uri(groups))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Origin", "https://evil.example").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
        HttpResponse<String> crossSite = server.send(HttpRequest.newBuilder(server.uri(groups))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Sec-Fetch-Site", "cross-site").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
        HttpResponse<String> plainText = server.send(HttpRequest.newBuilder(server.uri(groups))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "text/plain;charset=UTF-8").POST(HttpRequest.BodyPublishers.ofString(body)).build());
        HttpResponse<String> form = server.send(HttpRequest.newBuilder(server.uri(groups))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString("name=x")).build());
        HttpResponse<String> crossSiteSignIn = server.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/login"))
                .header("Origin", "https://evil.example").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"admin\",\"password\":\"" + TestServer.ADMIN_PASSWORD + "\"}")).build());

        assertThat(foreignOrigin.statusCode()).isEqualTo(403);
        assertThat(foreignOrigin.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json.readTree(foreignOrigin.body()).path("type").asText()).endsWith("/cross-site");
        assertThat(crossSite.statusCode()).isEqualTo(403);
        assertThat(plainText.statusCode()).as("a type any page may post without asking").isEqualTo(415);
        assertThat(form.statusCode()).isEqualTo(415);
        assertThat(crossSiteSignIn.statusCode()).as("no signing a victim in to the attacker's account either").isEqualTo(403);
        assertThat(server.server().kernel().groups().list()).noneMatch(group -> group.name().equals("made by another site"));

        HttpResponse<String> sameOrigin = server.send(HttpRequest.newBuilder(server.uri(groups))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Origin", "http://127.0.0.1:" + server.server().httpPort()).header("Sec-Fetch-Site", "same-origin")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
        assertThat(sameOrigin.statusCode()).as("the console's own requests").isEqualTo(201);
    }

    @Test
    void behindAProxyThatRewritesTheHostThePublicUrlsOriginIsThisServers() throws Exception {
        server = TestServer.start(home, Map.of("SHEPHERD_HTTPS_PUBLIC_URL", "https://mdm.example.com"));

        String fromConsole = post("mdm.example.com", "https://mdm.example.com");
        String fromElsewhere = post("backend.internal:8080", "https://mdm.example.com.evil.example");

        assertThat(fromConsole).startsWith("HTTP/1.1 201");
        assertThat(fromElsewhere).startsWith("HTTP/1.1 403");
    }

    /** A raw request, because the Host header is the proxy's to set and Java's client will not. */
    private String post(String host, String origin) throws IOException {
        String body = "{\"name\":\"via " + host + "\"}";
        try (Socket socket = new Socket("127.0.0.1", server.server().httpPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /api/v1/groups HTTP/1.1\r\nHost: " + host + "\r\nOrigin: " + origin
                    + "\r\nAuthorization: " + TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD)
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void httpsAnswersCarryHstsAndPlainHttpSendsTheConsoleAndSignInThere() throws Exception {
        server = TestServer.start(home, Map.of("SHEPHERD_HTTPS_PORT", "0", "SHEPHERD_HTTP_REDIRECT_TO_HTTPS", "true"));
        int https = server.server().httpsPort();
        HttpClient tls = HttpClient.newBuilder().sslContext(TestTls.trustingAnyServer()).connectTimeout(Duration.ofSeconds(5)).build();

        HttpResponse<String> secure = tls.send(HttpRequest.newBuilder(URI.create("https://localhost:" + https + "/health")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> console = server.get("/");
        HttpResponse<String> signIn = server.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/login?next=1"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        HttpResponse<String> device = server.get("/health");

        assertThat(secure.statusCode()).isEqualTo(200);
        assertThat(secure.headers().firstValue("Strict-Transport-Security")).hasValue("max-age=31536000");
        assertThat(device.headers().firstValue("Strict-Transport-Security")).as("never over plain HTTP").isEmpty();
        assertThat(console.statusCode()).isEqualTo(308);
        assertThat(console.headers().firstValue("Location")).hasValue("https://127.0.0.1:" + https + "/");
        assertThat(signIn.statusCode()).as("308 keeps the method, so the password is posted again over TLS").isEqualTo(308);
        assertThat(signIn.headers().firstValue("Location")).hasValue("https://127.0.0.1:" + https + "/api/v1/auth/login?next=1");
        assertThat(device.statusCode()).as("device and health routes are not redirected").isEqualTo(200);
    }

    @Test
    void aLocalDevelopmentServerOnLoopbackServesTheConsoleOverHttpByDefault() {
        server = TestServer.start(home, Map.of("SHEPHERD_HTTPS_PORT", "0"));

        assertThat(server.get("/").statusCode()).isEqualTo(200);
    }

    @Test
    void tlsOffersOnlyForwardSecretSuitesAndRefusesCbcSha1AndStaticRsa() throws Exception {
        server = TestServer.start(home, Map.of("SHEPHERD_HTTPS_PORT", "0"));
        int https = server.server().httpsPort();

        for (String weak : new String[]{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_GCM_SHA384"}) {
            // The client offers only the weak suite; the server's refusal comes back as its handshake_failure alert.
            assertThatThrownBy(() -> handshake(https, "TLSv1.2", weak)).as(weak).isInstanceOf(SSLHandshakeException.class)
                    .hasMessageContaining("handshake_failure");
        }
        assertThat(handshake(https, "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")).isEqualTo("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        assertThat(handshake(https, "TLSv1.3", "TLS_AES_128_GCM_SHA256")).isEqualTo("TLS_AES_128_GCM_SHA256");
    }

    /** @return the suite negotiated when the client offers only this one */
    private static String handshake(int port, String protocol, String suite) throws IOException {
        try (SSLSocket socket = (SSLSocket) TestTls.trustingAnyServer().getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            socket.setEnabledProtocols(new String[]{protocol});
            socket.setEnabledCipherSuites(new String[]{suite});
            socket.startHandshake();
            return socket.getSession().getCipherSuite();
        }
    }
}
