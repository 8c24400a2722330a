package dev.shepherd.plugins.appstore.privatepackages;

import com.dd.plist.NSArray;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSNumber;
import com.dd.plist.PropertyListParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.appstore.AppInstallation.PackageKind;
import dev.shepherd.api.appstore.AppStoreException;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.device.ComplianceState;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.testing.MemoryPluginStorage;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestSecrets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The plugin's parts together, as the kernel calls them: the admin endpoint, the connector and the device endpoint. */
class PrivatePackagesTest {

    private static final String BASE = "https://mdm.example.com/mdm/appstore-private";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path directory;
    /** Where the kernel writes request bodies, on another file system as far as the plugin knows. */
    @TempDir
    Path kernelFiles;

    private final TestClock clock = new TestClock(Instant.parse("2026-12-04T10:00:00Z"));
    private PrivatePackages packages;
    private PackageAdminEndpoint admin;
    private PrivateStoreConnector connector;
    private PackageDownloadEndpoint downloads;

    @BeforeEach
    void startPlugin() throws Exception {
        packages = packages(1024 * 1024);
        admin = new PackageAdminEndpoint(packages);
        connector = new PrivateStoreConnector(packages);
        downloads = new PackageDownloadEndpoint(packages);
    }

    private PrivatePackages packages(long maxPackageBytes) throws Exception {
        return new PrivatePackages(new PrivateStoreSettings(maxPackageBytes, Duration.ofHours(24)), new MemoryPluginStorage(),
                TestSecrets.sealer(), clock, directory, (ServerAddress) () -> "https://mdm.example.com", "/mdm/appstore-private");
    }

    @Test
    void anUploadedIpaIsStoredByItsDigestOnceAndListedInTheCatalog() throws Exception {
        byte[] ipa = TestPackages.ipa("com.example.field", "2.4.1", "Field Notes");

        AdminRequest firstUpload = upload(ipa, Map.of());
        DeviceResponse first = admin.handle(firstUpload);
        DeviceResponse again = admin.handle(upload(ipa, Map.of()));
        assertThat(firstUpload.bodyFile().orElseThrow()).as("taken over by a move, not read into memory").doesNotExist();

        assertThat(first.status()).isEqualTo(201);
        JsonNode body = JSON.readTree(first.body());
        assertThat(body.path("storeAppId").asText()).isEqualTo("ipa:com.example.field");
        assertThat(body.path("sha256").asText()).isEqualTo(sha256(ipa));
        assertThat(body.path("size").asLong()).isEqualTo(ipa.length);
        assertThat(body.path("uploadedBy").asText()).isEqualTo("alice");
        assertThat(again.status()).isEqualTo(201);
        try (var stored = Files.list(directory.resolve("sha256"))) {
            assertThat(stored.map(file -> file.getFileName().toString()).toList()).containsExactly(sha256(ipa));
        }
        try (var incoming = Files.list(directory.resolve("incoming"))) {
            assertThat(incoming.toList()).as("nothing left half-received").isEmpty();
        }
        assertThat(connector.catalog(Optional.empty()).apps()).containsExactly(new StoreApp("private", "ipa:com.example.field",
                Platform.IOS, "com.example.field", "Field Notes", "", Optional.of("2.4.1"), Optional.empty(),
                OptionalLong.of(ipa.length), Optional.empty(), false, Optional.empty()));
        assertThat(JSON.readTree(admin.handle(request("GET", "/packages", new byte[0], Map.of())).body())).hasSize(1);
    }

    @Test
    void aNewVersionOfAnAppReplacesTheOldOneAndItsFile() throws Exception {
        byte[] old = TestPackages.ipa("com.example.field", "2.4.1", "Field Notes");
        byte[] newer = TestPackages.ipa("com.example.field", "2.5.0", "Field Notes");
        admin.handle(upload(old, Map.of()));
        admin.handle(upload(newer, Map.of()));

        assertThat(connector.lookup("ipa:com.example.field").orElseThrow().version()).hasValue("2.5.0");
        assertThat(Files.exists(directory.resolve("sha256").resolve(sha256(old)))).isFalse();
        assertThat(Files.exists(directory.resolve("sha256").resolve(sha256(newer)))).isTrue();

        assertThat(admin.handle(request("DELETE", "/packages/ipa%3Acom.example.field", new byte[0], Map.of())).status()).isEqualTo(204);
        assertThat(connector.catalog(Optional.empty()).apps()).isEmpty();
        assertThat(Files.exists(directory.resolve("sha256").resolve(sha256(newer)))).isFalse();
        assertThat(admin.handle(request("DELETE", "/packages/ipa%3Acom.example.field", new byte[0], Map.of())).status()).isEqualTo(404);
    }

    @Test
    void oversizeMalformedAndForeignUploadsAreProblemsAndLeaveNothingBehind() throws Exception {
        PackageAdminEndpoint small = new PackageAdminEndpoint(packages(500));
        assertThat(small.maxStreamedBodyBytes()).as("the kernel answers 413 itself beyond this").isEqualTo(500);

        assertProblem(small.handle(upload(TestPackages.ipa("com.example.big", "1.0", "Big"), Map.of())), 413, "at most 500 bytes");
        assertProblem(admin.handle(upload("plain text".getBytes(), Map.of())), 415, "not an .ipa, .pkg, .msi or .msix");
        assertProblem(admin.handle(upload(TestPackages.zip(Map.of("../evil", new byte[]{1})), Map.of())), 400, "outside its root");
        assertProblem(admin.handle(upload(TestPackages.compoundFile(1), Map.of())), 400, "productCode is missing");
        assertProblem(admin.handle(upload(new byte[0], Map.of())), 400, "empty");
        try (var stored = Files.list(directory.resolve("sha256")); var incoming = Files.list(directory.resolve("incoming"))) {
            assertThat(stored.toList()).isEmpty();
            assertThat(incoming.toList()).isEmpty();
        }
        assertProblem(admin.handle(request("PUT", "/packages", new byte[0], Map.of())), 405, "GET or POST");
    }

    @Test
    void anIosDeviceInstallsAnIpaThroughAManifestMadeForItWhosePackageLinkIsItsOwnToo() throws Exception {
        byte[] ipa = TestPackages.ipa("com.example.field", "2.4.1", "Field Notes");
        admin.handle(upload(ipa, Map.of()));
        Device deviceA = device(Platform.IOS);
        StoreApp app = connector.lookup("ipa:com.example.field").orElseThrow();

        AppInstallation installation = connector.installation(app, deviceA);

        assertThat(installation.identifier()).isEqualTo("com.example.field");
        assertThat(installation.version()).hasValue("2.4.1");
        URI manifestUrl = ((AppInstallation.FromManifest) installation.source()).manifest();
        assertThat(manifestUrl.toString()).startsWith(BASE + "/manifests/" + sha256(ipa) + "?device=" + deviceA.id().value());
        DeviceResponse manifestResponse = downloads.handle(download(manifestUrl, Map.of()));
        assertThat(manifestResponse.status()).isEqualTo(200);
        NSDictionary item = (NSDictionary) ((NSArray) ((NSDictionary) PropertyListParser.parse(manifestResponse.body())).get("items")).objectAtIndex(0);
        NSDictionary asset = (NSDictionary) ((NSArray) item.get("assets")).objectAtIndex(0);
        NSDictionary metadata = (NSDictionary) item.get("metadata");
        assertThat(asset.get("kind").toJavaObject()).isEqualTo("software-package");
        assertThat(((NSNumber) asset.get("sha256-size")).longValue()).isEqualTo(ipa.length);
        assertThat(((NSArray) asset.get("sha256s")).objectAtIndex(0).toJavaObject()).isEqualTo(sha256(ipa));
        assertThat(metadata.get("bundle-identifier").toJavaObject()).isEqualTo("com.example.field");
        assertThat(metadata.get("bundle-version").toJavaObject()).isEqualTo("2.4.1");
        assertThat(metadata.get("kind").toJavaObject()).isEqualTo("software");
        assertThat(metadata.get("title").toJavaObject()).isEqualTo("Field Notes");

        URI packageUrl = URI.create(asset.get("url").toJavaObject().toString());
        assertThat(packageUrl.toString()).startsWith(BASE + "/packages/" + sha256(ipa) + "?device=" + deviceA.id().value());
        assertThat(DownloadLinksTest.query(packageUrl).get("expires")).isEqualTo(DownloadLinksTest.query(manifestUrl).get("expires"));
        DeviceResponse packageResponse = downloads.handle(download(packageUrl, Map.of()));
        assertThat(packageResponse.status()).isEqualTo(200);
        assertThat(sha256(sent(packageResponse))).isEqualTo(sha256(ipa));
        assertThat(downloads.handle(download(manifestUrl, Map.of())).status()).isEqualTo(200);
    }

    @Test
    void aMacInstallsAPkgThroughAManifestToo() throws Exception {
        byte[] pkg = TestPackages.componentPkg("com.example.agent", "5.0.2");
        assertThat(admin.handle(upload(pkg, Map.of())).status()).isEqualTo(201);
        Device mac = device(Platform.MACOS);

        AppInstallation installation = connector.installation(connector.lookup("pkg:com.example.agent").orElseThrow(), mac);

        URI manifestUrl = ((AppInstallation.FromManifest) installation.source()).manifest();
        DeviceResponse manifest = downloads.handle(download(manifestUrl, Map.of()));
        assertThat(manifest.status()).isEqualTo(200);
        NSDictionary item = (NSDictionary) ((NSArray) ((NSDictionary) PropertyListParser.parse(manifest.body())).get("items")).objectAtIndex(0);
        assertThat(((NSDictionary) item.get("metadata")).get("bundle-identifier").toJavaObject()).isEqualTo("com.example.agent");
        URI packageUrl = URI.create(((NSDictionary) ((NSArray) item.get("assets")).objectAtIndex(0)).get("url").toJavaObject().toString());
        assertThat(sha256(sent(downloads.handle(download(packageUrl, Map.of()))))).isEqualTo(sha256(pkg));
    }

    @Test
    void aWindowsDeviceGetsTheMsiAsAPackageWithItsDigestAndResumesItByRange() throws Exception {
        byte[] msi = TestPackages.compoundFile(8);
        admin.handle(upload(msi, TestPackages.msiFields(TestPackages.PRODUCT_CODE, "3.1.2", "Contoso Agent")));
        Device pc = device(Platform.WINDOWS);

        AppInstallation installation = connector.installation(connector.lookup("msi:" + TestPackages.PRODUCT_CODE).orElseThrow(), pc);

        AppInstallation.FromPackage pack = (AppInstallation.FromPackage) installation.source();
        assertThat(pack.kind()).isEqualTo(PackageKind.MSI);
        assertThat(pack.sha256()).isEqualTo(sha256(msi));
        assertThat(pack.size()).isEqualTo(msi.length);
        assertThat(installation.identifier()).isEqualTo(TestPackages.PRODUCT_CODE);
        assertThat(sha256(sent(downloads.handle(download(pack.url(), Map.of()))))).isEqualTo(sha256(msi));

        DeviceResponse rest = downloads.handle(download(pack.url(), Map.of("Range", List.of("bytes=1000-"))));
        assertThat(rest.status()).isEqualTo(206);
        assertThat(rest.headers()).containsEntry("Content-Range", "bytes 1000-" + (msi.length - 1) + "/" + msi.length);
        assertThat(sent(rest)).isEqualTo(Arrays.copyOfRange(msi, 1000, msi.length));
        assertProblem(downloads.handle(download(pack.url(), Map.of("Range", List.of("bytes=" + msi.length + "-")))), 416, "bytes");
        assertProblem(downloads.handle(download(URI.create(pack.url().toString().replace("/packages/", "/manifests/")), Map.of())),
                404, "No package");
    }

    @Test
    void linksOfAnotherDeviceAlteredExpiredOrForUnknownPackagesAreRefused() throws Exception {
        byte[] msi = TestPackages.compoundFile(2);
        admin.handle(upload(msi, TestPackages.msiFields(TestPackages.PRODUCT_CODE, "3.1.2", "Contoso Agent")));
        StoreApp app = connector.lookup("msi:" + TestPackages.PRODUCT_CODE).orElseThrow();
        URI linkOfA = ((AppInstallation.FromPackage) connector.installation(app, device(Platform.WINDOWS)).source()).url();
        Device deviceB = device(Platform.WINDOWS);

        URI claimedByB = URI.create(linkOfA.toString().replaceFirst("device=[^&]+", "device=" + deviceB.id().value()));
        assertProblem(downloads.handle(download(claimedByB, Map.of())), 403, "not valid");
        URI withoutSignature = URI.create(linkOfA.toString().replaceFirst("&signature=.*", ""));
        assertProblem(downloads.handle(download(withoutSignature, Map.of())), 403, "not valid");
        clock.advance(Duration.ofHours(24));
        assertProblem(downloads.handle(download(linkOfA, Map.of())), 403, "expired");
        URI unknown = URI.create(linkOfA.toString().replace(sha256(msi), "0".repeat(64)));
        assertProblem(downloads.handle(download(unknown, Map.of())), 404, "No package");
        assertProblem(downloads.handle(download(URI.create(BASE + "/packages/../../etc/passwd"), Map.of())), 404, "nothing at");

        assertThatThrownBy(() -> connector.installation(app, device(Platform.IOS)))
                .isInstanceOf(AppStoreException.class).hasMessageContaining("is for windows, not ios");
        admin.handle(request("DELETE", "/packages/msi:" + TestPackages.PRODUCT_CODE, new byte[0], Map.of()));
        assertThatThrownBy(() -> connector.installation(app, deviceB))
                .isInstanceOf(AppStoreException.class).hasMessageContaining("no longer stored");
    }

    /** An upload as the kernel hands it over: the body written to a file of its own, outside the plugin's directory. */
    private AdminRequest upload(byte[] content, Map<String, String> fields) throws IOException {
        Path body = Files.write(Files.createTempFile(kernelFiles, "body-", ".part"), content);
        return request("POST", "/packages", Optional.of(body), fields);
    }

    private AdminRequest request(String method, String path, byte[] body, Map<String, String> fields) throws IOException {
        return request(method, path, Optional.of(Files.write(Files.createTempFile(kernelFiles, "body-", ".part"), body)), fields);
    }

    private static AdminRequest request(String method, String path, Optional<Path> bodyFile, Map<String, String> fields) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        fields.forEach((name, value) -> query.put(name, List.of(value)));
        return new AdminRequest(method, path, query, Map.of("Content-Type", List.of("application/octet-stream")), new byte[0], "alice",
                "ADMIN", bodyFile);
    }

    /** What the kernel sends for a file response: the region of the file it names. */
    private static byte[] sent(DeviceResponse response) throws IOException {
        assertThat(response.body()).as("a package is never held in memory").isEmpty();
        DeviceResponse.FileBody region = response.fileBody().orElseThrow();
        try (SeekableByteChannel channel = Files.newByteChannel(region.file())) {
            ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(region.length()));
            channel.position(region.offset());
            while (bytes.hasRemaining() && channel.read(bytes) > 0) {
                // reads until the region is complete
            }
            assertThat(bytes.hasRemaining()).as("the file holds the whole region").isFalse();
            return bytes.array();
        }
    }

    private static DeviceRequest download(URI link, Map<String, List<String>> headers) {
        Map<String, List<String>> query = new LinkedHashMap<>();
        if (link.getRawQuery() != null) {
            DownloadLinksTest.query(link).forEach((name, value) -> query.put(name, List.of(value)));
        }
        String path = link.getRawPath().substring("/mdm/appstore-private".length());
        return new DeviceRequest("GET", path, query, headers, new byte[0], List.of(), "192.0.2.10");
    }

    private static Device device(Platform platform) {
        return new Device(DeviceId.random(), platform, DeviceStatus.ENROLLED, Ownership.CORPORATE, "device", "", "", "", Map.of(),
                Optional.empty(), Optional.empty(), ComplianceState.COMPLIANT, Optional.empty(), Optional.empty(), Set.of(), Map.of());
    }

    private static void assertProblem(DeviceResponse response, int status, String detail) throws Exception {
        assertThat(response.status()).isEqualTo(status);
        assertThat(response.headers()).containsEntry("Content-Type", "application/problem+json");
        assertThat(JSON.readTree(response.body()).path("detail").asText()).contains(detail);
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
