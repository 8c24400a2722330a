package dev.shepherd.plugins.ios;

import com.dd.plist.NSDictionary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.appstore.AppStoreConnector;
import dev.shepherd.api.appstore.AppStoreException;
import dev.shepherd.api.appstore.CatalogPage;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.api.appstore.StoreHealth;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.apple.AdeEnrollment;
import dev.shepherd.apple.AdeTokenFiles;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.apple.LocalDeviceAssignment;
import dev.shepherd.apple.Plists;
import dev.shepherd.apple.TestAppleDeviceCa;
import dev.shepherd.app.AppStores;
import dev.shepherd.group.Group;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.ConsoleBrowser;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Automated Device Enrollment's profile request on a real server with the iOS plugin loaded from its zip: Apple
 * Business Manager assigns an iPhone to the server, the sync registers it PENDING, and in Setup Assistant the iPhone
 * POSTs its MachineInfo signed by the identity Apple's device CA gave it (a test CA standing in, trusted through
 * {@code adeDeviceCaFile}); it gets its profile, enrolls and claims the pending record. Unsigned, mis-signed,
 * untrusted, malformed and unassigned requests are refused with problem details, and an identity issued for one
 * MachineInfo does not enroll another device. With {@code await_device_configured}, Setup Assistant is released by
 * {@code DeviceConfigured} only once the device has its policy and required apps, or once it has waited too long.
 */
class AdeEnrollmentIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AdeTokenFiles.Credentials ABM = AdeTokenFiles.Credentials.expiring("abm-enroll", Instant.now().plus(Duration.ofDays(300)));
    private static final String UDID = "A1B2C3D4-000A1B2C3D4E5F60";
    private static final TestAppleDeviceCa APPLE_DEVICE_CA = new TestAppleDeviceCa("Test Apple");
    private static final String NOTES = "com.example.notes";
    /** The server's clock, moved on to show a device released when its setup never finishes. */
    private static final TestClock CLOCK = new TestClock(Instant.now());

    @TempDir
    static Path home;
    private static TestServer server;
    private static LocalDeviceAssignment apple;
    private static URI enrollUrl;
    private static String profileUuid;

    @BeforeAll
    static void start() throws Exception {
        apple = LocalDeviceAssignment.start(ABM, Clock.systemUTC());
        Path deviceCa = APPLE_DEVICE_CA.writeRoot(home.resolve("apple-device-root.pem"));
        server = AppleTestServers.start(home.resolve("server"), "com.apple.mgmt.External.ade",
                // The syncs here are the test's own (adeSyncInterval PT0S: no schedule), so their counts are exact.
                Map.of("adeUrl", apple.uri().toString(), AdeEnrollment.DEVICE_CA_SETTING, deviceCa.toString(), "adeSyncInterval", "PT0S"),
                // A sync of a thousand devices is one admin call; on a machine shared by several builds it may take longer
                // than the default call timeout.
                Map.of("SHEPHERD_PLUGINS_CALL_TIMEOUT", "120s"), Map.of("apple-ios", Path.of(System.getProperty("shepherd.pluginFile"))), CLOCK);
        server.server().kernel().apps().setStores(new OneAppStore());
        await().atMost(Duration.ofSeconds(30)).until(() -> server.getAsAdmin("/api/v1/plugins/apple-ios/ade/public-key").statusCode() == 200);
        String publicKey = server.getAsAdmin("/api/v1/plugins/apple-ios/ade/public-key").body();
        HttpResponse<String> uploaded = server.send(HttpRequest.newBuilder(server.uri("/api/v1/plugins/apple-ios/ade/tokens/abm"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/pkcs7-mime")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(AdeTokenFiles.tokenFile(publicKey, ABM))).build());
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
        HttpResponse<String> defined = server.sendAsAdmin("PUT", "/api/v1/plugins/apple-ios/ade/tokens/abm/profile", """
                {"profile_name": "Corporate iPhones", "is_supervised": true, "is_mdm_removable": false, "await_device_configured": true}""");
        assertThat(defined.statusCode()).as(defined.body()).isEqualTo(200);
        profileUuid = JSON.readTree(defined.body()).path("profile_uuid").asText();
        enrollUrl = URI.create(apple.profile(profileUuid).path("url").asText());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (apple != null) {
            apple.close();
        }
    }

    @Test
    void anAssignedIphoneSendsItsSignedMachineInfoGetsItsProfileAndClaimsItsPendingRecord() throws Exception {
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), UDID);
        apple.assign(iphone.serialNumber(), "iPhone 15", "iPhone 15 128GB Black", "BLACK", "iOS");
        sync();
        Kernel kernel = server.server().kernel();
        DeviceId pending = kernel.devices().idByHardwareId(Platform.IOS, "serial", iphone.serialNumber()).orElseThrow();
        assertThat(enrollUrl.getPath()).isEqualTo("/mdm/apple-ios/ade/enroll");

        AppleDeviceSimulator.InstalledProfile profile = iphone.enrollByAde(enrollUrl, APPLE_DEVICE_CA.identity(UDID));
        assertThat(profile.challenge()).isNotBlank();
        assertThat(iphone.enrollIdentity().certificate()).isPresent();
        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(200);

        Device enrolled = kernel.devices().get(pending).orElseThrow().device();
        assertThat(enrolled.status()).as("the pending record is claimed").isEqualTo(DeviceStatus.ENROLLED);
        assertThat(enrolled.ownership()).isEqualTo(Ownership.CORPORATE);
        assertThat(enrolled.enrollmentMethod()).hasValue(EnrollmentMethod.PROGRAM);
        assertThat(enrolled.hardwareIds()).containsEntry("serial", iphone.serialNumber()).containsEntry("udid", UDID);
        assertThat(kernel.devices().idByHardwareId(Platform.IOS, "udid", UDID)).hasValue(pending);

        HttpResponse<byte[]> again = iphone.requestAdeProfile(enrollUrl, APPLE_DEVICE_CA.identity(UDID));
        assertThat(again.statusCode()).as("enrolled, no longer pending").isEqualTo(403);
        assertProblem(again);
    }

    @Test
    void requestsThatAreUnsignedMisSignedUntrustedMalformedOrUnassignedAreRefused() throws Exception {
        String udid = "B2C3D4E5-000B2C3D4E5F6071";
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), udid);
        apple.assign(iphone.serialNumber(), "iPhone 15", "iPhone 15 128GB Blue", "BLUE", "iOS");
        sync();
        NSDictionary machineInfo = new NSDictionary();
        machineInfo.put("UDID", udid);
        machineInfo.put("SERIAL", iphone.serialNumber());
        machineInfo.put("PRODUCT", "iPhone15,4");
        machineInfo.put("VERSION", "22B83");
        byte[] plist = Plists.xml(machineInfo);

        HttpResponse<byte[]> unsigned = iphone.postSigned(enrollUrl, plist);
        assertThat(unsigned.statusCode()).isEqualTo(400);
        assertProblem(unsigned);

        TestAppleDeviceCa.DeviceIdentity identity = APPLE_DEVICE_CA.identity(udid);
        TestAppleDeviceCa.DeviceIdentity other = APPLE_DEVICE_CA.identity(udid);
        HttpResponse<byte[]> misSigned = iphone.postSigned(enrollUrl,
                AppleDeviceSimulator.signAttached(plist, other.certificate(), identity.key(), identity.intermediates()));
        assertThat(misSigned.statusCode()).as("signed by a key not the certificate's").isEqualTo(403);
        assertProblem(misSigned);

        TestAppleDeviceCa.DeviceIdentity forged = new TestAppleDeviceCa("Forged").identity(udid);
        HttpResponse<byte[]> untrusted = iphone.requestAdeProfile(enrollUrl, forged);
        assertThat(untrusted.statusCode()).as("chained to a CA that is not Apple's").isEqualTo(403);
        assertProblem(untrusted);
        HttpResponse<byte[]> withoutIntermediate = iphone.postSigned(enrollUrl,
                AppleDeviceSimulator.signAttached(plist, identity.certificate(), identity.key(), List.of()));
        assertThat(withoutIntermediate.statusCode()).as("no chain to the root").isEqualTo(403);

        NSDictionary withoutSerial = new NSDictionary();
        withoutSerial.put("UDID", udid);
        withoutSerial.put("PRODUCT", "iPhone15,4");
        withoutSerial.put("VERSION", "22B83");
        HttpResponse<byte[]> incomplete = iphone.postSigned(enrollUrl,
                AppleDeviceSimulator.signAttached(Plists.xml(withoutSerial), identity.certificate(), identity.key(), identity.intermediates()));
        assertThat(incomplete.statusCode()).isEqualTo(400);
        assertProblem(incomplete);
        HttpResponse<byte[]> garbage = iphone.postSigned(enrollUrl, "not a signature".getBytes(StandardCharsets.UTF_8));
        assertThat(garbage.statusCode()).isEqualTo(400);
        assertProblem(garbage);
        HttpResponse<String> plainPlist = server.send(HttpRequest.newBuilder(server.uri(enrollUrl.getPath())).header("Content-Type", "application/x-apple-plist")
                .POST(HttpRequest.BodyPublishers.ofByteArray(plist)).build());
        assertThat(plainPlist.statusCode()).isEqualTo(415);

        AppleDeviceSimulator stranger = new AppleDeviceSimulator(server.uri("/"), "C3D4E5F6-000C3D4E5F607182");
        HttpResponse<byte[]> unassigned = stranger.requestAdeProfile(enrollUrl, APPLE_DEVICE_CA.identity("C3D4E5F6-000C3D4E5F607182"));
        assertThat(unassigned.statusCode()).as("a serial Apple never assigned here").isEqualTo(403);
        assertProblem(unassigned);

        // The profile's identity speaks for the MachineInfo it was issued for: another device using its challenge
        // (asserting its own UDID) claims nothing.
        AppleDeviceSimulator.InstalledProfile profile = iphone.enrollByAde(enrollUrl, identity);
        AppleDeviceSimulator thief = new AppleDeviceSimulator(server.uri("/"), "D4E5F607-000D4E5F60718293");
        assertThat(thief.enrollIdentity(profile.challenge()).certificate()).isPresent();
        assertThat(thief.authenticate().statusCode()).isEqualTo(403);
        DeviceId pending = server.server().kernel().devices().idByHardwareId(Platform.IOS, "serial", iphone.serialNumber()).orElseThrow();
        assertThat(server.server().kernel().devices().get(pending).orElseThrow().device().status()).isEqualTo(DeviceStatus.PENDING);
    }

    @Test
    void anAwaitingIphoneFromASyncOfAThousandIsReleasedOnlyOnceItHasItsPolicyAndRequiredApp() throws Exception {
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), "E5F60718-000E5F6071829304");
        for (int i = 0; i < 1000; i++) {
            apple.assign("AWC%05d".formatted(i), "iPhone 15", "iPhone 15 128GB Black", "BLACK", "iOS");
        }
        apple.assign(iphone.serialNumber(), "iPhone 15", "iPhone 15 128GB Green", "GREEN", "iOS");
        int requestsBefore = apple.requests().size();
        int profileChangesBefore = apple.profileChanges().size();

        JsonNode synced = sync();

        assertThat(synced.path("registered").asInt()).isEqualTo(1001);
        assertThat(apple.requests().subList(requestsBefore, apple.requests().size()).stream()
                .filter(request -> request.equals("POST /server/devices") || request.equals("POST /devices/sync")))
                .as("1,001 devices come in pages of at most 1,000, the second asked for by the first's cursor").hasSizeGreaterThanOrEqualTo(2);
        assertThat(apple.device("AWC00999").path("profile_uuid").asText()).isEqualTo(profileUuid);
        assertThat(apple.profileChanges().subList(profileChangesBefore, apple.profileChanges().size())).as("assigned in Apple's pages of at most 1,000")
                .anySatisfy(change -> assertThat(change.path("devices").size()).isEqualTo(1000))
                .allSatisfy(change -> assertThat(change.path("devices").size()).isLessThanOrEqualTo(1000));
        assertThat(apple.device(iphone.serialNumber()).path("profile_uuid").asText()).isEqualTo(profileUuid);

        // What the new iPhone is assigned before it is unboxed: a Wi-Fi policy and a required app, through its group.
        Kernel kernel = server.server().kernel();
        DeviceId pending = kernel.devices().idByHardwareId(Platform.IOS, "serial", iphone.serialNumber()).orElseThrow();
        String group = admin("POST", "/api/v1/groups", Map.of("name", "New iPhones"), 201).path("id").asText();
        admin("POST", "/api/v1/groups/" + group + "/members", Map.of("add", List.of(pending.toString())), 200);
        String policy = admin("POST", "/api/v1/policies", Map.of("name", "Office Wi-Fi", "settings", List.of(Map.of("type", "wifi",
                "value", Map.of("ssid", "Office", "security", "NONE")))), 201).path("id").asText();
        admin("PUT", "/api/v1/policies/" + policy + "/assignments/" + group, Map.of("priority", 10), 200);
        String app = notesInCatalog();
        admin("PUT", "/api/v1/apps/" + app + "/assignments/" + group, Map.of("intent", "REQUIRED"), 200);
        iphone.useAppStore((adamId, serial, purchaseMethod) -> adamId == OneAppStore.ADAM_ID
                ? Optional.of(new AppleDeviceSimulator.StoreListing(NOTES, "Notes", "1.0")) : Optional.empty());

        iphone.enrollByAde(enrollUrl, APPLE_DEVICE_CA.identity(iphone.udid()));
        assertThat(iphone.enrollIdentity().certificate()).isPresent();
        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(200);
        assertThat(kernel.devices().inventory(pending)).containsEntry("apple.ade.setup", "awaiting configuration");

        kernel.policies().reconcilePending();
        kernel.apps().reconcilePending();
        List<String> received = new ArrayList<>();
        Optional<NSDictionary> next = iphone.idle();
        while (next.isPresent() && !received.contains("DeviceConfigured")) {
            received.add(requestType(next.get()));
            next = iphone.answer(next.get(), "Acknowledged");
        }

        assertThat(received).contains("InstallProfile", "InstallApplication", "InstalledApplicationList");
        assertThat(received).as("released once, last: after its policy's profile and the app list that shows the app installed")
                .containsOnlyOnce("DeviceConfigured").last().isEqualTo("DeviceConfigured");
        assertThat(next).as("nothing after the release").isEmpty();
        assertThat(iphone.installedApps()).containsKey(NOTES);
        assertThat(kernel.devices().inventory(pending)).containsEntry("apple.ade.setup", "released: 1 settings and 1 required apps installed");
        assertThat(iphone.idle()).as("released once").isEmpty();
    }

    @Test
    void anAwaitingIphoneWhoseSetupNeverFinishesIsReleasedAfterTheTimeoutAndItsPageSaysSo() throws Exception {
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), "F6071829-000F607182930415");
        apple.assign(iphone.serialNumber(), "iPhone 15", "iPhone 15 128GB Pink", "PINK", "iOS");
        sync();
        Kernel kernel = server.server().kernel();
        DeviceId pending = kernel.devices().idByHardwareId(Platform.IOS, "serial", iphone.serialNumber()).orElseThrow();
        String group = admin("POST", "/api/v1/groups", Map.of("name", "Slow iPhones"), 201).path("id").asText();
        admin("POST", "/api/v1/groups/" + group + "/members", Map.of("add", List.of(pending.toString())), 200);
        admin("PUT", "/api/v1/apps/" + notesInCatalog() + "/assignments/" + group, Map.of("intent", "REQUIRED"), 200);
        iphone.enrollByAde(enrollUrl, APPLE_DEVICE_CA.identity(iphone.udid()));
        assertThat(iphone.enrollIdentity().certificate()).isPresent();
        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);
        kernel.apps().reconcilePending();

        // The app never installs: the device keeps putting it off.
        Optional<NSDictionary> next = iphone.idle();
        while (next.isPresent()) {
            assertThat(requestType(next.get())).isNotEqualTo("DeviceConfigured");
            next = iphone.answer(next.get(), requestType(next.get()).equals("InstallApplication") ? "NotNow" : "Acknowledged");
        }
        assertThat(kernel.devices().inventory(pending)).containsEntry("apple.ade.setup", "awaiting configuration");

        CLOCK.advance(Duration.ofMinutes(31));
        Optional<NSDictionary> release;
        try {
            release = iphone.idle();
        } finally {
            // Back to the time the other devices' certificates were issued in.
            CLOCK.advance(Duration.ofMinutes(-31));
        }

        assertThat(release.map(AdeEnrollmentIT::requestType)).as("released before the app it still has not installed").hasValue("DeviceConfigured");
        assertThat(iphone.answer(release.get(), "Acknowledged").map(AdeEnrollmentIT::requestType)).hasValue("InstallApplication");
        HttpResponse<String> page = server.getAsAdmin("/api/v1/devices/" + pending + "/inventory");
        assertThat(page.body()).contains("released after 30 minutes without finishing setup: 0 settings and 1 required apps still pending");
        assertThat(server.getAsAdmin("/api/v1/devices/" + pending + "/activity").body()).as("the device's activity records the release")
                .contains("apple-ios.ade.released_after_timeout");
    }

    @Test
    void eachDeviceGetsTheProfileOfItsSerialNumberItsGroupOrTheDefaultAndAnIpadEnrollsIntoItsProfilesGroup() throws Exception {
        String profiles = "/api/v1/plugins/apple-ios/ade/tokens/abm/profiles/";
        String classroomGroup = admin("POST", "/api/v1/groups", Map.of("name", "Classroom iPads",
                "rule", Map.of("attribute", "model", "op", "startsWith", "value", "iPad")), 201).path("id").asText();
        AppleDeviceSimulator ipad = new AppleDeviceSimulator(server.uri("/"), "0A1B2C3D-000A1B2C3D4E5F61");
        List<String> classroom = List.of("DMPAD0001", "DMPAD0002", "DMPAD0003", ipad.serialNumber());
        classroom.forEach(serial -> apple.assign(serial, "iPad Air", "iPad Air 11-inch Wi-Fi", "BLUE", "iPadOS"));
        apple.assign("DMPLOAN01", "iPad mini", "iPad mini Wi-Fi", "PURPLE", "iPadOS");
        apple.assign("F2LPHONE1", "iPhone 15", "iPhone 15 128GB Black", "BLACK", "iOS");
        apple.assign("DMPGONE01", "iPad Air", "iPad Air 11-inch Wi-Fi", "BLUE", "iPadOS");
        apple.makeInaccessible("DMPGONE01");

        HttpResponse<String> unknownGroup = server.sendAsAdmin("PUT", profiles + "wrong", "{\"profile_name\": \"Wrong\", \"groupId\": \"nope\"}");
        assertThat(unknownGroup.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(unknownGroup.body()).path("detail").asText()).startsWith("/groupId: ");
        HttpResponse<String> unsupervisedLock = server.sendAsAdmin("PUT", profiles + "wrong", "{\"profile_name\": \"Wrong\", \"is_mdm_removable\": false}");
        assertThat(JSON.readTree(unsupervisedLock.body()).path("detail").asText()).as("Apple's FLAGS_INVALID, said first")
                .startsWith("/is_mdm_removable: ");
        String classroomUuid = admin("PUT", profiles + "classroom-ipads", Map.of("profile_name", "Classroom iPads", "is_supervised", true,
                "department", "Schools", "groupId", classroomGroup, "priority", 10), 200).path("profile_uuid").asText();
        String loanersUuid = admin("PUT", profiles + "loaners", Map.of("profile_name", "Loaners", "is_supervised", true,
                "serials", List.of("DMPLOAN01")), 200).path("profile_uuid").asText();
        assertThat(apple.profile(classroomUuid).path("department").asText()).isEqualTo("Schools");

        JsonNode synced = sync();

        classroom.forEach(serial -> assertThat(apple.device(serial).path("profile_uuid").asText()).as(serial + ", by its rule group")
                .isEqualTo(classroomUuid));
        assertThat(apple.device("DMPLOAN01").path("profile_uuid").asText()).as("named by serial, though an iPad").isEqualTo(loanersUuid);
        assertThat(apple.device("F2LPHONE1").path("profile_uuid").asText()).as("in no profile's group: the default").isEqualTo(profileUuid);
        assertThat(apple.profileChanges()).as("Apple's limit per call").allSatisfy(change -> assertThat(change.path("devices").size()).isBetween(1, 1000));
        assertThat(synced.path("profileFailed").asInt()).isPositive();
        Kernel kernel = server.server().kernel();
        DeviceId gone = kernel.devices().idByHardwareId(Platform.IOS, "serial", "DMPGONE01").orElseThrow();
        assertThat(kernel.devices().inventory(gone).get("apple.ade.profile_error")).startsWith("NOT_ACCESSIBLE");
        DeviceId first = kernel.devices().idByHardwareId(Platform.IOS, "serial", "DMPAD0001").orElseThrow();
        assertThat(kernel.devices().inventory(first)).containsEntry("apple.ade.profile", "classroom-ipads")
                .containsEntry("apple.ade.profile_uuid", classroomUuid).containsEntry("apple.ade.profile_status", "assigned");
        JsonNode listed = admin("GET", "/api/v1/plugins/apple-ios/ade/tokens/abm/profiles", null, 200).path("profiles");
        assertThat(listed.get(0).path("name").asText()).as("by priority").isEqualTo("classroom-ipads");
        assertThat(listed.get(0).path("group").path("name").asText()).isEqualTo("Classroom iPads");
        assertThat(listed.get(0).path("devices").asInt()).isEqualTo(4);
        assertThat(listed.findValues("name").stream().map(JsonNode::asText)).contains("default", "loaners");

        int changesBefore = apple.profileChanges().size();
        sync();
        assertThat(apple.profileChanges().subList(changesBefore, apple.profileChanges().size()))
                .as("only what Apple does not hold yet is sent again: the inaccessible iPad")
                .allSatisfy(change -> assertThat(change.path("devices").toString()).isEqualTo("[\"DMPGONE01\"]"));

        JsonNode changed = admin("PUT", profiles + "classroom-ipads", Map.of("profile_name", "Classroom iPads", "is_supervised", true,
                "department", "Primary schools", "groupId", classroomGroup, "priority", 10), 200);
        String redefined = changed.path("profile_uuid").asText();
        assertThat(redefined).as("Apple's profiles cannot change: defined again").isNotEqualTo(classroomUuid);
        assertThat(changed.path("assignment").path("assigned").asInt()).isEqualTo(4);
        classroom.forEach(serial -> assertThat(apple.device(serial).path("profile_uuid").asText()).isEqualTo(redefined));
        JsonNode removed = admin("DELETE", profiles + "loaners", null, 200);
        assertThat(removed.path("assignment").path("assigned").asInt()).isEqualTo(1);
        assertThat(apple.device("DMPLOAN01").path("profile_uuid").asText()).as("falls back to its group's profile").isEqualTo(redefined);

        ipad.enrollByAde(enrollUrl, APPLE_DEVICE_CA.identity(ipad.udid()));
        assertThat(ipad.enrollIdentity().certificate()).isPresent();
        assertThat(ipad.authenticate().statusCode()).isEqualTo(200);
        DeviceId enrolled = kernel.devices().idByHardwareId(Platform.IOS, "serial", ipad.serialNumber()).orElseThrow();
        assertThat(kernel.devices().get(enrolled).orElseThrow().device().status()).isEqualTo(DeviceStatus.ENROLLED);
        assertThat(kernel.groups().groupsOf(enrolled)).extracting(Group::name).as("the group admins target policies at, as at a PreStage")
                .contains("ADE: classroom-ipads");
    }

    @Test
    void theTokenPageListsTheProfilesAndShowsApplesRefusalAtTheFieldItConcerns() throws Exception {
        assumeTrue(ConsoleBrowser.available(), ConsoleBrowser.unavailableReason());
        try (ConsoleBrowser console = ConsoleBrowser.open(server, Files.createDirectories(home.resolve("browser")))) {
            console.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
            console.open("#/plugins/apple-ios/ade-tokens", "ADE server tokens");
            console.waitForText("ADE profiles of abm");
            assertThat(console.mainText()).contains("Corporate iPhones", "Default");

            console.labelledControl("Name").sendKeys("front-desk");
            console.labelledControl("Name on the device").sendKeys("Front desk");
            console.labelledControl("Serial numbers").sendKeys("DMPDESK01, DMPDESK02");
            // Not removable but not supervised either: Apple would refuse it (FLAGS_INVALID); the server says so first.
            console.labelledControl("Removable by the user").click();
            console.driver().findElement(By.xpath("//button[.='Save profile']")).click();
            console.waitForText("Removable by the user can be false only in a supervised profile");
            assertThat(console.labelledControl("Removable by the user").getDomAttribute("aria-invalid")).isEqualTo("true");

            console.labelledControl("Supervised").click();
            console.driver().findElement(By.xpath("//button[.='Save profile']")).click();
            console.waitForText("The profile front-desk is defined at Apple");
            assertThat(console.mainText()).contains("Front desk", "2 serial number(s)");
            assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();
        }
        JsonNode defined = admin("GET", "/api/v1/plugins/apple-ios/ade/tokens/abm/profiles/front-desk", null, 200);
        assertThat(defined.path("serials")).hasSize(2);
        assertThat(apple.profile(defined.path("profile_uuid").asText()).path("is_mdm_removable").asBoolean()).isFalse();
        admin("DELETE", "/api/v1/plugins/apple-ios/ade/tokens/abm/profiles/front-desk", null, 200);
    }

    /** The store's one app in the catalog; @return its catalog id */
    private static String notesInCatalog() throws Exception {
        admin("POST", "/api/v1/app-stores/" + OneAppStore.ID + "/sync", Map.of(), 200);
        return admin("GET", "/api/v1/apps?storeId=" + OneAppStore.ID, null, 200).get(0).path("id").asText();
    }

    private static String requestType(NSDictionary command) {
        return Plists.string((NSDictionary) command.objectForKey("Command"), "RequestType");
    }

    private static JsonNode admin(String method, String path, Object body, int expected) throws Exception {
        HttpResponse<String> response = server.sendAsAdmin(method, path, body == null ? null : JSON.writeValueAsString(body));
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isEqualTo(expected);
        return JSON.readTree(response.body());
    }

    /**
     * A store as an app-store plugin offers it to the catalog: one free iPhone app, installed by its App Store id.
     * The iPhone's own App Store is the simulator's ({@link AppleDeviceSimulator#useAppStore}).
     */
    private static final class OneAppStore implements AppStoreConnector, AppStores {
        static final String ID = "one-app";
        static final long ADAM_ID = 361309726L;
        private final StoreApp notes = new StoreApp(ID, Long.toString(ADAM_ID), Platform.IOS, NOTES, "Notes", "Example Inc.",
                Optional.of("1.0"), Optional.empty(), OptionalLong.of(1024), Optional.empty(), false, Optional.empty());

        @Override
        public String id() {
            return ID;
        }

        @Override
        public String displayName() {
            return "One app";
        }

        @Override
        public Set<Platform> platforms() {
            return Set.of(Platform.IOS);
        }

        @Override
        public StoreHealth health() {
            return StoreHealth.ready();
        }

        @Override
        public CatalogPage catalog(Optional<String> cursor) {
            return new CatalogPage(List.of(notes), Optional.empty());
        }

        @Override
        public Optional<StoreApp> lookup(String storeAppId) {
            return Optional.of(notes).filter(app -> app.storeAppId().equals(storeAppId));
        }

        @Override
        public AppInstallation installation(StoreApp app, Device device) {
            return new AppInstallation(app.identifier(), app.version(), new AppInstallation.FromStore(app.storeAppId()), Map.of());
        }

        @Override
        public List<String> storeIds() {
            return List.of(ID);
        }

        @Override
        public <T> T call(String storeId, String operation, StoreCall<T> call) throws AppStoreException {
            if (!storeId.equals(ID)) {
                throw AppStoreException.retryable("No store " + storeId, Optional.empty());
            }
            return call.call(this);
        }
    }

    private static JsonNode sync() throws Exception {
        HttpResponse<String> response = server.sendAsAdmin("POST", "/api/v1/plugins/apple-ios/ade/tokens/abm/sync", null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode result = JSON.readTree(response.body());
        assertThat(result.path("registered").asInt() + result.path("updated").asInt()).isPositive();
        return result;
    }

    private static void assertProblem(HttpResponse<byte[]> response) {
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
    }
}
