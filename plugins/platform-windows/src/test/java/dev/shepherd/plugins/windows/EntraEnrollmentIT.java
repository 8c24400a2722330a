package dev.shepherd.plugins.windows;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.directory.DirectoryUser;
import dev.shepherd.plugins.windows.entra.LocalEntra;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Automatic MDM enrollment of PCs joining Microsoft Entra ID, through the running server with the Windows plugin file,
 * a simulated PC and a local stand-in for Entra's OpenID configuration and keys: the PC enrolls with the access token
 * Entra issued it, and its user and Entra device id are recorded; tokens from another tenant, for another audience,
 * expired, tampered with or signed by an unknown key are refused with SOAP faults and nothing is enrolled; keys
 * rolled over are read again, at a bounded rate; the terms-of-use page keeps Entra's redirect contract.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EntraEnrollmentIT {

    private static final String CONTOSO = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private static final String FABRIKAM = "0d3ce5a1-4b2e-4f7a-9a51-6f0b2c8d9e10";
    private static final String APP_ID_URI = "https://mdm.contoso.example";
    private static final String CLIENT_ID = "3c1f5d2e-8a4b-4c6d-9e0f-1a2b3c4d5e6f";
    private static final String TERMS = "Contoso manages this PC. Accept to continue.";
    private static final String REDIRECT = "ms-appx-web://Microsoft.AAD.BrokerPlugin/ToUResponse";

    private Path home;
    private final TestClock clock = new TestClock(Instant.now());
    private LocalEntra entra;
    private TestServer server;
    private Kernel kernel;

    @BeforeAll
    void start() throws Exception {
        home = Files.createTempDirectory("entra-it");
        entra = LocalEntra.start(clock, CONTOSO, FABRIKAM);
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), """
                plugins:
                  config:
                    windows:
                      entraEnrollment: "true"
                      entraTenants: "%s"
                      entraAudiences: "%s, %s"
                      entraAuthority: "%s"
                      entraTermsOfUse: "%s"
                """.formatted(CONTOSO, APP_ID_URI, CLIENT_ID, entra.authority(), TERMS));
        server = TestServer.start(home, Map.of("SHEPHERD_HTTPS_PORT", "0", "SHEPHERD_HTTPS_HOSTNAMES", "localhost"), clock);
        kernel = server.server().kernel();
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("windows.zip"));
        await().atMost(Duration.ofSeconds(20)).until(() -> server.get("/mdm/windows/EnrollmentServer/Discovery.svc").statusCode() == 200);
    }

    @AfterAll
    void stop() {
        server.close();
        entra.close();
    }

    @Test
    void anEntraJoinedPcEnrollsWithItsAccessTokenAndItsUserAndEntraDeviceIdAreRecorded() throws Exception {
        String objectId = UUID.randomUUID().toString();
        String entraDeviceId = UUID.randomUUID().toString();
        String token = entra.issue(CONTOSO, entra.v1Claims(CONTOSO, APP_ID_URI, "adele.vance@contoso.example", objectId, entraDeviceId));
        WindowsEnrollmentClient pc = new WindowsEnrollmentClient("E1E2E3E4E5E6E7E8E9EAEBECEDEEEF01", "ADELE-PC");

        WindowsEnrollmentClient.Enrolled enrolled = pc.enrollEntraJoined(discovery(), "adele.vance@contoso.example", token).orElseThrow();

        assertThat(enrolled.certificateStore()).as("a device enrollment, in the system store").isEqualTo("My\\System");
        Device device = device(pc);
        assertThat(device.enrollmentMethod()).hasValue(EnrollmentMethod.PROGRAM);
        assertThat(device.ownership()).as("an Entra join is the organisation's").isEqualTo(Ownership.CORPORATE);
        assertThat(device.hardwareIds()).containsEntry("entraDeviceId", entraDeviceId);
        DirectoryUser user = kernel.directory().get(device.userId().orElseThrow()).orElseThrow();
        assertThat(user.provider()).isEqualTo("entra");
        assertThat(user.externalId()).hasValue(objectId);
        assertThat(user.username()).isEqualTo("adele.vance@contoso.example");
        assertThat(user.displayName()).isEqualTo("adele.vance Example");
        assertThat(kernel.devices().inventory(device.id()))
                .containsEntry("hardware.entraDeviceId", entraDeviceId)
                .containsEntry("entra.tenantId", CONTOSO)
                .containsEntry("entra.userPrincipalName", "adele.vance@contoso.example")
                .containsEntry("entra.userObjectId", objectId);

        // A v2 token: the audience is the application's client id and the user is preferred_username.
        WindowsEnrollmentClient second = new WindowsEnrollmentClient("E1E2E3E4E5E6E7E8E9EAEBECEDEEEF02", "ALEX-PC");
        second.enrollEntraJoined(discovery(), "alex@contoso.example", entra.issue(CONTOSO,
                entra.v2Claims(CONTOSO, CLIENT_ID, "alex@contoso.example", UUID.randomUUID().toString(), UUID.randomUUID().toString()))).orElseThrow();
        assertThat(kernel.directory().get(device(second).userId().orElseThrow()).orElseThrow().username()).isEqualTo("alex@contoso.example");
        // The tenant's configuration and keys were read once, and only the allowed tenant's.
        assertThat(entra.requests()).filteredOn(path -> path.contains(FABRIKAM)).isEmpty();
    }

    @Test
    void tokensFromAnotherTenantForAnotherAudienceExpiredTamperedOrByAnUnknownKeyAreRefusedAndNothingIsEnrolled() throws Exception {
        String upn = "mallory@contoso.example";
        Map<String, Object> valid = entra.v1Claims(CONTOSO, APP_ID_URI, upn, UUID.randomUUID().toString(), UUID.randomUUID().toString());

        assertRefused(entra.issue(FABRIKAM, entra.v1Claims(FABRIKAM, APP_ID_URI, "eve@fabrikam.example", UUID.randomUUID().toString(),
                UUID.randomUUID().toString())), "s:Authorization", "tenant " + FABRIKAM + " may not enroll devices here");
        assertThat(entra.requests()).as("another tenant's keys are never fetched").filteredOn(path -> path.contains(FABRIKAM)).isEmpty();

        Map<String, Object> otherAudience = new LinkedHashMap<>(valid);
        otherAudience.put("aud", "https://graph.microsoft.com");
        assertRefused(entra.issue(CONTOSO, otherAudience), "s:Authentication", "not this MDM application");

        Map<String, Object> expired = new LinkedHashMap<>(valid);
        expired.put("exp", clock.instant().minus(Duration.ofMinutes(10)).getEpochSecond());
        assertRefused(entra.issue(CONTOSO, expired), "s:Authentication", "has expired");

        Map<String, Object> notYet = new LinkedHashMap<>(valid);
        notYet.put("nbf", clock.instant().plus(Duration.ofMinutes(10)).getEpochSecond());
        assertRefused(entra.issue(CONTOSO, notYet), "s:Authentication", "not valid yet");

        Map<String, Object> wrongIssuer = new LinkedHashMap<>(valid);
        wrongIssuer.put("iss", "https://sts.windows.net/" + FABRIKAM + "/");
        assertRefused(entra.issue(CONTOSO, wrongIssuer), "s:Authentication", "is not tenant " + CONTOSO);

        // The signature no longer covers the claims: Mallory's token made out to Adele.
        String signed = entra.issue(CONTOSO, valid);
        String[] parts = signed.split("\\.");
        Map<String, Object> swapped = new LinkedHashMap<>(valid);
        swapped.put("upn", "adele.vance@contoso.example");
        String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                new ObjectMapper().writeValueAsBytes(swapped)) + "." + parts[2];
        assertRefused(tampered, "s:Authentication", "signature does not verify");

        int keyReads = keyReads();
        assertRefused(LocalEntra.forge(valid), "s:Authentication", "not one of the tenant's keys");
        assertRefused("not a token", "s:Authentication", "not a signed JWT");
        assertThat(keyReads()).as("an unknown key right after the keys were read does not read them again").isEqualTo(keyReads);
    }

    @Test
    void keysRolledOverAreReadAgainAtMostEveryFiveMinutes() throws Exception {
        // The keys are in the cache after a first enrollment; the same user enrolls a second PC later.
        String megan = UUID.randomUUID().toString();
        new WindowsEnrollmentClient("E1E2E3E4E5E6E7E8E9EAEBECEDEEEF03", "ROLL-1").enrollEntraJoined(discovery(), "megan@contoso.example",
                entra.issue(CONTOSO, entra.v1Claims(CONTOSO, APP_ID_URI, "megan@contoso.example", megan,
                        UUID.randomUUID().toString()))).orElseThrow();
        entra.rollKeys(CONTOSO, true);
        int keyReads = keyReads();

        // Right after the keys were read, a token by the new key is refused without reading them again.
        String early = entra.issue(CONTOSO, entra.v1Claims(CONTOSO, APP_ID_URI, "megan@contoso.example", megan,
                UUID.randomUUID().toString()));
        assertRefused(early, "s:Authentication", "not one of the tenant's keys");
        assertThat(keyReads()).isEqualTo(keyReads);

        clock.advance(Duration.ofMinutes(6));
        String byNewKey = entra.issue(CONTOSO, entra.v1Claims(CONTOSO, APP_ID_URI, "megan@contoso.example", megan,
                UUID.randomUUID().toString()));
        WindowsEnrollmentClient pc = new WindowsEnrollmentClient("E1E2E3E4E5E6E7E8E9EAEBECEDEEEF04", "ROLL-2");
        pc.enrollEntraJoined(discovery(), "megan@contoso.example", byNewKey).orElseThrow();
        assertThat(keyReads()).as("read again once for the new key").isEqualTo(keyReads + 1);
        assertThat(device(pc).userId()).isPresent();
    }

    @Test
    void theTermsOfUsePageShowsTheTermsAndReturnsToWindowsAsEntrasContractSays() throws Exception {
        String token = entra.issue(CONTOSO, entra.v1Claims(CONTOSO, APP_ID_URI, "adele.vance@contoso.example", UUID.randomUUID().toString(), null));
        String requestId = "34be581c-6ebd-49d6-a4e1-150eff4b7213";

        HttpResponse<String> byod = termsOfUse("redirect_uri=" + encode(REDIRECT) + "&client-request-id=" + requestId + "&api-version=1.0", token);
        assertThat(byod.statusCode()).isEqualTo(200);
        assertThat(byod.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(byod.body()).contains(TERMS).contains("adele.vance@contoso.example")
                .contains("href=\"" + REDIRECT + "?IsAccepted=true&amp;OpaqueBlob=")
                .contains("&amp;client-request-id=" + requestId + "\">Accept</a>")
                .contains("href=\"" + REDIRECT + "?IsAccepted=false&amp;client-request-id=" + requestId + "\">Decline</a>");

        // Joining Entra, enrollment cannot be declined: no Decline button.
        HttpResponse<String> join = termsOfUse("redirect_uri=" + encode(REDIRECT) + "&client-request-id=" + requestId
                + "&api-version=1.0&mode=azureadjoin", token);
        assertThat(join.statusCode()).isEqualTo(200);
        assertThat(join.body()).contains("IsAccepted=true").doesNotContain("IsAccepted=false");

        HttpResponse<String> version = termsOfUse("redirect_uri=" + encode(REDIRECT) + "&client-request-id=" + requestId + "&api-version=2.0", token);
        assertThat(version.statusCode()).isEqualTo(302);
        assertThat(version.headers().firstValue("Location")).hasValue(REDIRECT
                + "?error=invalid_request&error_description=unsupported%20version&client-request-id=" + requestId);

        HttpResponse<String> forged = termsOfUse("redirect_uri=" + encode(REDIRECT) + "&api-version=1.0",
                LocalEntra.forge(entra.v1Claims(CONTOSO, APP_ID_URI, "adele.vance@contoso.example", UUID.randomUUID().toString(), null)));
        assertThat(forged.statusCode()).isEqualTo(302);
        assertThat(forged.headers().firstValue("Location")).hasValue(REDIRECT + "?error=unauthorized_client&error_description=unauthorized_client");
        assertThat(termsOfUse("redirect_uri=" + encode(REDIRECT) + "&api-version=1.0", "").headers().firstValue("Location"))
                .hasValue(REDIRECT + "?error=unauthorized_client&error_description=unauthorized_client");

        HttpResponse<String> otherTenant = termsOfUse("redirect_uri=" + encode(REDIRECT) + "&api-version=1.0", entra.issue(FABRIKAM,
                entra.v1Claims(FABRIKAM, APP_ID_URI, "eve@fabrikam.example", UUID.randomUUID().toString(), null)));
        assertThat(otherTenant.headers().firstValue("Location"))
                .hasValue(REDIRECT + "?error=unauthorized_client&error_description=unauthorized%20user%20or%20tenant");

        // Only Windows' own ms-appx-web: addresses are returned to: the page redirects nowhere else.
        HttpResponse<String> elsewhere = termsOfUse("redirect_uri=" + encode("https://attacker.example/collect") + "&api-version=1.0", token);
        assertThat(elsewhere.statusCode()).isEqualTo(400);
        assertThat(elsewhere.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(elsewhere.headers().firstValue("Location")).isEmpty();
    }

    private void assertRefused(String token, String subcode, String reason) throws Exception {
        WindowsEnrollmentClient pc = new WindowsEnrollmentClient("F0F1F2F3F4F5F6F7F8F9FAFBFCFDFE00", "REFUSED-PC");
        WindowsEnrollmentClient.Fault fault = pc.enrollEntraJoined(discovery(), "mallory@contoso.example", token).fault().orElseThrow();
        assertThat(fault.subcode()).as(reason).isEqualTo(subcode);
        assertThat(fault.message()).contains(reason);
        assertThat(kernel.devices().idByHardwareId(Platform.WINDOWS, "windowsDeviceId", pc.deviceId())).as("nothing enrolled").isEmpty();
    }

    private int keyReads() {
        return (int) entra.requests().stream().filter(path -> path.endsWith("/discovery/v2.0/keys")).count();
    }

    private HttpResponse<String> termsOfUse(String query, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.uri("/mdm/windows/TermsOfUse?" + query)).GET();
        if (!token.isEmpty()) {
            request.header("Authorization", "Bearer " + token);
        }
        return server.send(request.build());
    }

    private Device device(WindowsEnrollmentClient pc) {
        DeviceId id = kernel.devices().idByHardwareId(Platform.WINDOWS, "windowsDeviceId", pc.deviceId()).orElseThrow();
        return kernel.devices().get(id).orElseThrow().device();
    }

    private URI discovery() {
        return URI.create("https://localhost:" + server.server().httpsPort() + "/EnrollmentServer/Discovery.svc");
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
