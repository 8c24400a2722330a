package dev.shepherd.plugins.appstore.privatepackages;

import com.dd.plist.NSArray;
import com.dd.plist.NSDictionary;
import com.dd.plist.PropertyListParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.group.Group;
import dev.shepherd.security.AdminRole;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Must-show 2 of issue 17 through a running server with the plugin loaded from its real file: an {@code .ipa} and an
 * {@code .msi} uploaded through the plugin's admin endpoint, synced into the catalog, assigned REQUIRED to a group
 * holding device A (an iPhone and a PC) but not device B; A's install commands carry links made for A, A downloads
 * the bytes the catalog names over HTTP, B (or anyone) altering A's link, or A after the link expired, gets 403, an
 * unknown package 404, and once A reports the apps they are INSTALLED with their versions. The devices' side is played
 * with the kernel's calls that platform plugins make (taking commands, reporting results and inventory).
 */
class PrivatePackagesIT {

    private static final String PACKAGES = "/api/v1/plugins/appstore-private/packages";
    private static final Duration WITHIN = Duration.ofSeconds(30);

    @TempDir
    Path home;
    private TestServer server;
    private final TestClock clock = new TestClock(Instant.now());
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), "plugins:\n  config:\n    appstore-private:\n"
                + "      maxPackageBytes: \"65536\"\n");
        server = TestServer.start(home, Map.of(), clock);
        server.server().adminUsers().create("desk", "desk-password-123".toCharArray(), AdminRole.HELPDESK);
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("appstore-private.zip"));
        await().atMost(WITHIN).until(() -> server.getAsAdmin(PACKAGES).statusCode() == 200
                && server.getAsAdmin("/api/v1/app-stores").body().contains("\"private\""));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void privatePackagesReachOnlyTheDevicesTheyAreAssignedToWithTheirHashAndAreInstalled() throws Exception {
        byte[] ipa = TestPackages.ipa("com.example.field", "2.4.1", "Field Notes");
        byte[] msi = TestPackages.compoundFile(16);
        JsonNode uploadedIpa = json.readTree(upload(ipa, "", TestServer.ADMIN, TestServer.ADMIN_PASSWORD).body());
        HttpResponse<String> msiResponse = upload(msi, "?productCode=" + TestPackages.PRODUCT_CODE.replace("{", "%7B").replace("}", "%7D")
                + "&version=3.1.2&name=Contoso%20Agent", TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        assertThat(msiResponse.statusCode()).isEqualTo(201);
        JsonNode uploadedMsi = json.readTree(msiResponse.body());
        assertThat(uploadedIpa.path("sha256").asText()).isEqualTo(PrivatePackagesTest.sha256(ipa));

        HttpResponse<String> synced = admin("POST", "/api/v1/app-stores/private/sync");
        assertThat(synced.statusCode()).isEqualTo(200);
        assertThat(json.readTree(synced.body()).path("listed").asInt()).isEqualTo(2);
        String ipaApp = appId("ipa:com.example.field");
        String msiApp = appId("msi:" + TestPackages.PRODUCT_CODE);

        Kernel kernel = server.server().kernel();
        DeviceId phoneA = enroll(kernel, Platform.IOS, "PHONE-A");
        DeviceId phoneB = enroll(kernel, Platform.IOS, "PHONE-B");
        DeviceId pcA = enroll(kernel, Platform.WINDOWS, "PC-A");
        DeviceId pcB = enroll(kernel, Platform.WINDOWS, "PC-B");
        Group field = kernel.groups().create(TestKernel.ADMIN, "Field", "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, field.id(), List.of(phoneA, pcA));
        assertThat(admin("PUT", "/api/v1/apps/" + ipaApp + "/assignments/" + field.id(), "{\"intent\": \"REQUIRED\"}").statusCode()).isEqualTo(200);
        assertThat(admin("PUT", "/api/v1/apps/" + msiApp + "/assignments/" + field.id(), "{\"intent\": \"REQUIRED\"}").statusCode()).isEqualTo(200);

        await().atMost(WITHIN).untilAsserted(() -> {
            assertThat(state(ipaApp, phoneA)).isEqualTo("INSTALLING");
            assertThat(state(msiApp, pcA)).isEqualTo("INSTALLING");
        });
        assertThat(kernel.commands().take(phoneB, 10)).as("B is not in the group").isEmpty();
        assertThat(kernel.commands().take(pcB, 10)).isEmpty();

        // The iPhone: InstallApplication's manifest, made for it, names the package over a link made for it too.
        Command phoneInstall = only(kernel.commands().take(phoneA, 10));
        AppInstallation.FromManifest manifestSource = (AppInstallation.FromManifest)
                AppInstallation.fromParameters(phoneInstall.parameters()).orElseThrow().source();
        URI manifestUrl = manifestSource.manifest();
        assertThat(manifestUrl.toString()).startsWith(server.server().publicUrl() + "/mdm/appstore-private/manifests/")
                .contains("device=" + phoneA);
        HttpResponse<byte[]> manifest = download(manifestUrl);
        assertThat(manifest.statusCode()).isEqualTo(200);
        NSDictionary item = (NSDictionary) ((NSArray) ((NSDictionary) PropertyListParser.parse(manifest.body())).get("items")).objectAtIndex(0);
        NSDictionary asset = (NSDictionary) ((NSArray) item.get("assets")).objectAtIndex(0);
        assertThat(((NSArray) asset.get("sha256s")).objectAtIndex(0).toJavaObject()).isEqualTo(uploadedIpa.path("sha256").asText());
        HttpResponse<byte[]> ipaDownload = download(URI.create(asset.get("url").toJavaObject().toString()));
        assertThat(ipaDownload.statusCode()).isEqualTo(200);
        assertThat(PrivatePackagesTest.sha256(ipaDownload.body())).isEqualTo(uploadedIpa.path("sha256").asText());

        // The PC: the MSI's link and its digest, which Windows checks before installing.
        Command pcInstall = only(kernel.commands().take(pcA, 10));
        AppInstallation msiInstallation = AppInstallation.fromParameters(pcInstall.parameters()).orElseThrow();
        AppInstallation.FromPackage msiSource = (AppInstallation.FromPackage) msiInstallation.source();
        assertThat(msiInstallation.identifier()).isEqualTo(TestPackages.PRODUCT_CODE);
        assertThat(msiSource.sha256()).isEqualTo(uploadedMsi.path("sha256").asText()).isEqualTo(PrivatePackagesTest.sha256(msi));
        HttpResponse<byte[]> msiDownload = download(msiSource.url());
        assertThat(msiDownload.statusCode()).isEqualTo(200);
        assertThat(PrivatePackagesTest.sha256(msiDownload.body())).isEqualTo(msiSource.sha256());
        HttpResponse<byte[]> resumed = http.send(HttpRequest.newBuilder(server.uri(msiSource.url().getRawPath() + "?" + msiSource.url().getRawQuery()))
                .header("Range", "bytes=1000-").GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(resumed.statusCode()).isEqualTo(206);
        assertThat(resumed.headers().firstValue("Content-Range")).hasValue("bytes 1000-" + (msi.length - 1) + "/" + msi.length);
        assertThat(resumed.body()).isEqualTo(Arrays.copyOfRange(msi, 1000, msi.length));
        try (Stream<Path> spooled = Files.list(server.server().config().dataDir().resolve("request-bodies"))) {
            assertThat(spooled.toList()).as("the kernel's upload files are gone once the uploads are answered").isEmpty();
        }

        // B holds no link of its own; A's, claimed for B or altered, opens nothing; an unknown package is not found.
        assertThat(download(URI.create(msiSource.url().toString().replace(pcA.toString(), pcB.toString()))).statusCode()).isEqualTo(403);
        assertThat(download(altered(msiSource.url())).statusCode()).isEqualTo(403);
        assertThat(download(URI.create(msiSource.url().toString().replace(msiSource.sha256(), "0".repeat(64)))).statusCode()).isEqualTo(404);

        // A reports both apps: INSTALLED with the versions it reports.
        kernel.commands().report(phoneA, new CommandResult(phoneInstall.id(), CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
        kernel.commands().report(pcA, new CommandResult(pcInstall.id(), CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
        kernel.devices().replaceInventory(Actor.plugin("apple-ios"), phoneA, "app.", Map.of("app.com.example.field", "2.4.1"));
        kernel.devices().replaceInventory(Actor.plugin("windows"), pcA, "app.", Map.of("app." + TestPackages.PRODUCT_CODE, "3.1.2"));
        await().atMost(WITHIN).untilAsserted(() -> {
            assertThat(state(ipaApp, phoneA)).isEqualTo("INSTALLED");
            assertThat(state(msiApp, pcA)).isEqualTo("INSTALLED");
        });
        assertThat(json.readTree(admin("GET", "/api/v1/devices/" + phoneA + "/apps").body()).path("managed").get(0)
                .path("installedVersion").asText()).isEqualTo("2.4.1");

        // A day later A's links have expired.
        clock.advance(Duration.ofHours(24).plusSeconds(1));
        assertThat(download(msiSource.url()).statusCode()).isEqualTo(403);
        assertThat(download(manifestUrl).statusCode()).isEqualTo(403);
    }

    @Test
    void uploadsNeedAppManageAndOversizeOrMalformedPackagesAreProblems() throws Exception {
        HttpResponse<String> helpdesk = upload(TestPackages.ipa("com.example.field", "1.0", "Field"), "", "desk", "desk-password-123");
        assertThat(helpdesk.statusCode()).isEqualTo(403);

        HttpResponse<String> oversize = upload(new byte[70_000], "", TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        assertThat(oversize.statusCode()).isEqualTo(413);
        assertThat(oversize.headers().firstValue("Content-Type")).hasValue("application/problem+json");

        HttpResponse<String> traversal = upload(TestPackages.zip(Map.of("Payload/../../evil", new byte[]{1})), "",
                TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        assertThat(traversal.statusCode()).isEqualTo(400);
        assertThat(traversal.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json.readTree(traversal.body()).path("detail").asText()).contains("outside its root");
        assertThat(json.readTree(server.getAsAdmin(PACKAGES).body())).isEmpty();
    }

    private HttpResponse<String> upload(byte[] content, String query, String username, String password) {
        return server.send(HttpRequest.newBuilder(server.uri(PACKAGES + query))
                .header("Authorization", TestServer.basic(username, password))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(content)).build());
    }

    private HttpResponse<String> admin(String method, String path) {
        return admin(method, path, "");
    }

    private HttpResponse<String> admin(String method, String path, String body) {
        return server.send(HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/json")
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** Downloads as a device does, from this test's server (the link's host is the server's public name). */
    private HttpResponse<byte[]> download(URI link) throws IOException, InterruptedException {
        URI local = server.uri(link.getRawPath() + "?" + link.getRawQuery());
        return http.send(HttpRequest.newBuilder(local).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The link with the signature's first character changed (to another one, whatever it was). */
    private static URI altered(URI link) {
        String text = link.toString();
        int at = text.indexOf("signature=") + "signature=".length();
        return URI.create(text.substring(0, at) + (text.charAt(at) == 'A' ? 'B' : 'A') + text.substring(at + 1));
    }

    private String appId(String storeAppId) throws IOException {
        for (JsonNode app : json.readTree(admin("GET", "/api/v1/apps?storeId=private").body())) {
            if (app.path("storeAppId").asText().equals(storeAppId)) {
                return app.path("id").asText();
            }
        }
        throw new AssertionError("the catalog has no " + storeAppId);
    }

    private String state(String appId, DeviceId device) throws IOException {
        for (JsonNode state : json.readTree(admin("GET", "/api/v1/apps/" + appId + "/devices").body())) {
            if (state.path("deviceId").asText().equals(device.toString())) {
                return state.path("state").asText();
            }
        }
        return "";
    }

    private static Command only(List<Command> commands) {
        assertThat(commands).extracting(Command::type).containsExactly(CommandType.INSTALL_APP);
        return commands.get(0);
    }

    private static DeviceId enroll(Kernel kernel, Platform platform, String udid) {
        String secret = kernel.enrollmentTokens().create(TestKernel.ADMIN, new NewEnrollmentToken("apps", Ownership.CORPORATE,
                Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(), Instant.now().plus(Duration.ofHours(1)))).secret();
        return kernel.devices().enroll(Actor.plugin("test"), TestKernel.claim(secret, platform, udid)).device().id();
    }
}
