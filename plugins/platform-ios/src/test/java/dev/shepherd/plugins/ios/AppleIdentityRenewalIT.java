package dev.shepherd.plugins.ios;

import com.dd.plist.NSArray;
import com.dd.plist.NSData;
import com.dd.plist.NSDictionary;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.apple.AccountSignInDirectory;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.apple.EnrollmentLinks;
import dev.shepherd.apple.Plists;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.device.DeviceFilter;
import dev.shepherd.pki.ScepClient;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.bouncycastle.cms.CMSSignedData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Apple identity certificates are renewed before they expire, through the running server with the iOS plugin file,
 * on a clock the test moves: a year after enrolling, the iPhone is sent a fresh enrollment profile over MDM, gets a new
 * certificate by SCEP, goes on with it, and the old certificate is refused from then on.
 */
class AppleIdentityRenewalIT {

    private static final String TOPIC = "com.apple.mgmt.External.7a1e5c2d-1f0b-4c8e-9d3a-2b6f4e8c0a1d";

    @TempDir
    Path home;
    @TempDir
    Path build;
    private final TestClock clock = new TestClock(Instant.now());
    private TestServer server;
    private Kernel kernel;

    @BeforeEach
    void start() throws Exception {
        server = AppleTestServers.start(home, TOPIC, Map.of("identityRenewalDays", "30"), Map.of(),
                Map.of("apple-ios", Path.of(System.getProperty("shepherd.pluginFile"))), clock);
        kernel = server.server().kernel();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void anIdentityCertificateNearItsExpiryIsRenewedAndTheOldOneIsRefusedOnceTheNewOneIsInUse() throws Exception {
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), "00008110-0030EF");
        iphone.useClock(clock);
        iphone.installProfile(EnrollmentLinks.create(server, "ios", "CORPORATE", 1));
        assertThat(iphone.enrollIdentity().status()).isEqualTo("0");
        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(200);
        DeviceId id = kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();
        X509Certificate first = iphone.certificate();
        AppleDeviceSimulator stale = new AppleDeviceSimulator(server.uri("/"), iphone.udid());
        stale.useClock(clock);
        stale.useIdentityOf(iphone);

        // Far from expiry: nothing to renew.
        assertThat(iphone.idle()).isEmpty();

        // 340 days on, the certificate (valid for a year) is within the 30-day window.
        clock.advance(Duration.ofDays(340));
        NSDictionary renewal = iphone.idle().orElseThrow();
        NSDictionary request = (NSDictionary) renewal.objectForKey("Command");
        assertThat(Plists.string(request, "RequestType")).isEqualTo("InstallProfile");
        NSDictionary profile = Plists.dictionary((byte[]) new CMSSignedData(((NSData) request.objectForKey("Payload")).bytes())
                .getSignedContent().getContent());
        NSDictionary mdm = payload(profile, "com.apple.mdm");
        assertThat(Plists.string(mdm, "Topic")).isEqualTo(TOPIC);
        assertThat(Plists.string(mdm, "ServerURL")).endsWith("/mdm/apple-ios/connect");
        assertThat(Plists.string(payload(profile, "com.apple.security.scep"), "PayloadType")).isEqualTo("com.apple.security.scep");
        // Sent once, not at every check-in while it is being installed.
        assertThat(iphone.answer(renewal, "Acknowledged")).isEmpty();
        assertThat(iphone.idle()).isEmpty();

        ScepClient.Result renewed = iphone.installProfileCommand(renewal);
        assertThat(renewed.status()).isEqualTo("0");
        X509Certificate second = renewed.certificate().orElseThrow();
        assertThat(second.getSubjectX500Principal().getName()).isEqualTo("CN=" + id + ",OU=Devices,O=Shepherd");
        assertThat(second.getNotAfter().toInstant()).isAfter(clock.instant().plus(Duration.ofDays(300)));
        // Until the device speaks with the new certificate, the old one still works: nobody is locked out.
        assertThat(kernel.certificateAuthority().verify(List.of(first))).isPresent();

        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(200);
        assertThat(kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid())).hasValue(id);
        assertThat(kernel.certificateAuthority().verify(List.of(first))).as("the old certificate is revoked").isEmpty();
        assertThat(stale.tokenUpdate().statusCode()).isEqualTo(403);

        // The device goes on with its new certificate, past the day the old one would have expired.
        clock.advance(Duration.ofDays(40));
        CommandRecord lock = kernel.commands().issue(TestKernel.ADMIN, id, CommandRequest.of(CommandType.LOCK));
        NSDictionary next = iphone.idle().orElseThrow();
        assertThat(Plists.string(next, "CommandUUID")).isEqualTo(lock.command().id().toString());
        assertThat(iphone.answer(next, "Acknowledged")).isEmpty();
        assertThat(kernel.devices().count(DeviceFilter.ALL)).isEqualTo(1);
    }

    /**
     * An organisation's iPhone enrolled by account-driven device enrollment: its renewal profile repeats the
     * {@code AssignedManagedAppleID} and {@code EnrollmentMode} ADDE, which Apple requires to stay unchanged when the
     * MDM payload is updated.
     */
    @Test
    void theRenewalOfAnAccountDrivenDeviceEnrollmentKeepsItsAssignedAccountAndMode() throws Exception {
        AccountSignInDirectory.install(server, build, Map.of("lee@fleet.example", "Lee's work password"));
        HttpResponse<String> created = server.sendAsAdmin("POST", "/api/v1/enrollment-tokens", "{\"name\": \"Company phones\","
                + " \"ownership\": \"CORPORATE\", \"platform\": \"ios\", \"maxUses\": 5, \"validForHours\": 24, \"requireSignIn\": true}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String link = new ObjectMapper().readTree(created.body()).path("enrollmentUrl").asText();
        assertThat(server.sendAsAdmin("PUT", "/api/v1/plugins/apple-ios/account-enrollment",
                "{\"deviceEnrollment\": {\"domains\": [\"fleet.example\"], \"link\": \"" + link + "\"}}").statusCode()).isEqualTo(200);
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), "00008110-0040AD");
        iphone.useClock(clock);
        iphone.enrollByAccount(server.uri("/"), "lee@fleet.example", AppleDeviceSimulator.signingInAs("lee@fleet.example", "Lee's work password"));
        assertThat(iphone.enrollIdentity().status()).isEqualTo("0");
        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(200);

        clock.advance(Duration.ofDays(340));
        NSDictionary request = (NSDictionary) iphone.idle().orElseThrow().objectForKey("Command");
        assertThat(Plists.string(request, "RequestType")).isEqualTo("InstallProfile");
        NSDictionary mdm = payload(Plists.dictionary((byte[]) new CMSSignedData(((NSData) request.objectForKey("Payload")).bytes())
                .getSignedContent().getContent()), "com.apple.mdm");
        assertThat(Plists.string(mdm, "EnrollmentMode")).isEqualTo("ADDE");
        assertThat(Plists.string(mdm, "AssignedManagedAppleID")).isEqualTo("lee@fleet.example");
        assertThat(mdm.containsKey("ManagedAppleID")).isFalse();
    }

    private static NSDictionary payload(NSDictionary profile, String type) {
        for (var item : ((NSArray) profile.objectForKey("PayloadContent")).getArray()) {
            NSDictionary payload = (NSDictionary) item;
            if (type.equals(Plists.string(payload, "PayloadType"))) {
                return payload;
            }
        }
        throw new AssertionError("no " + type + " payload");
    }
}
