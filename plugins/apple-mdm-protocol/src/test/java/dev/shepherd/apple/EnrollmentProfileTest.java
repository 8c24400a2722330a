package dev.shepherd.apple;

import com.dd.plist.NSArray;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSNumber;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EnrollmentProfileTest {

    private static X509Certificate ca;

    @BeforeAll
    static void createCa() {
        ca = EnrollmentProfileTestCertificates.selfSigned("Test device CA");
    }

    private static EnrollmentProfile profile(boolean personal) {
        return new EnrollmentProfile("https://mdm.example.com", "/mdm/apple-ios", "/scep", "one-time-challenge", ca, Optional.of(ca),
                "com.apple.mgmt.External.2f0c1a9e-5b7d-4c1e-9a43-0d6e8f1b2c3d", "Example Corp", personal,
                List.of("com.apple.mdm.bootstraptoken", "com.apple.mdm.per-user-connections"), Optional.empty());
    }

    private static EnrollmentProfile userEnrollment() {
        return new EnrollmentProfile("https://mdm.example.com", "/mdm/apple-ios", "/scep", "one-time-challenge", ca, Optional.of(ca),
                "com.apple.mgmt.External.2f0c1a9e-5b7d-4c1e-9a43-0d6e8f1b2c3d", "Example Corp", true,
                List.of("com.apple.mdm.per-user-connections"), Optional.of("ana@example.com"));
    }

    @ParameterizedTest(name = "{0}, personal={1}")
    @CsvSource({"iOS,false", "iOS,true", "macOS,false", "macOS,true"})
    void theGeneratedProfileIsValidAgainstApplesSchemas(String os, boolean personal) {
        assertThat(new AppleProfileSchema().violations(profile(personal).toPlist(), os)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"iOS", "macOS"})
    void theUserEnrollmentProfileIsValidAgainstApplesSchemasAndTheirUserEnrollmentRules(String os) {
        NSDictionary plist = userEnrollment().toPlist();
        AppleProfileSchema schema = new AppleProfileSchema();
        assertThat(schema.violations(plist, os)).isEmpty();
        assertThat(schema.userEnrollmentViolations(plist, os)).isEmpty();
        assertThat(schema.userEnrollmentViolations(profile(true).toPlist(), os))
                .as("a device-enrollment profile is not a user enrollment").isNotEmpty();
    }

    @Test
    void userEnrollmentNamesTheManagedAccountAsksForByodAndClaimsNoAccessRights() {
        NSDictionary mdm = payload(userEnrollment().toPlist(), "com.apple.mdm");
        assertThat(Plists.string(mdm, "AssignedManagedAppleID")).isEqualTo("ana@example.com");
        assertThat(Plists.string(mdm, "ManagedAppleID")).isEqualTo("ana@example.com");
        assertThat(Plists.string(mdm, "EnrollmentMode")).isEqualTo("BYOD");
        assertThat(mdm.containsKey("AccessRights")).as("Apple fixes the rights of a user enrollment").isFalse();
        assertThat(payload(profile(true).toPlist(), "com.apple.mdm").containsKey("EnrollmentMode")).isFalse();
    }

    /**
     * Account-driven device enrollment: the {@code com.apple.mdm} payload's {@code EnrollmentMode} ADDE with the
     * {@code AssignedManagedAppleID} (Apple's schema: both iOS 15+/17+ and macOS 14+), every access right, and no
     * {@code ManagedAppleID}, which would make it a user enrollment.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"iOS", "macOS"})
    void accountDrivenDeviceEnrollmentAssignsTheAccountAsksForAddeAndKeepsEveryRight(String os) {
        NSDictionary plist = new EnrollmentProfile("https://mdm.example.com", "/mdm/apple-ios", "/scep", "one-time-challenge", ca,
                Optional.of(ca), "com.apple.mgmt.External.2f0c1a9e-5b7d-4c1e-9a43-0d6e8f1b2c3d", "Example Corp", false, List.of(),
                Optional.empty(), Optional.of("ana@example.com")).toPlist();
        AppleProfileSchema schema = new AppleProfileSchema();
        assertThat(schema.violations(plist, os)).isEmpty();
        assertThat(schema.userEnrollmentViolations(plist, os)).as("a device enrollment, not a user enrollment").isNotEmpty();
        NSDictionary mdm = payload(plist, "com.apple.mdm");
        assertThat(Plists.string(mdm, "EnrollmentMode")).isEqualTo("ADDE");
        assertThat(Plists.string(mdm, "AssignedManagedAppleID")).isEqualTo("ana@example.com");
        assertThat(mdm.containsKey("ManagedAppleID")).isFalse();
        assertThat(((NSNumber) mdm.objectForKey("AccessRights")).intValue()).isEqualTo(EnrollmentProfile.ALL_ACCESS_RIGHTS);
        assertThatThrownBy(() -> new EnrollmentProfile("https://mdm.example.com", "/mdm/apple-ios", "/scep", "c", ca, Optional.empty(),
                "com.apple.mgmt.External.x", "Example", true, List.of(), Optional.empty(), Optional.of("ana@example.com")))
                .as("a personal device is never device-enrolled by account").hasMessageContaining("organisation's devices only");
    }

    @Test
    void onlyAPersonalDeviceIsUserEnrolledAndOnlyWithAnAccountAddress() {
        assertThatThrownBy(() -> new EnrollmentProfile("https://mdm.example.com", "/mdm/apple-ios", "/scep", "c", ca, Optional.empty(),
                "com.apple.mgmt.External.x", "Example", false, List.of(), Optional.of("ana@example.com"))).hasMessageContaining("personal");
        assertThatThrownBy(() -> new EnrollmentProfile("https://mdm.example.com", "/mdm/apple-ios", "/scep", "c", ca, Optional.empty(),
                "com.apple.mgmt.External.x", "Example", true, List.of(), Optional.of("ana"))).hasMessageContaining("e-mail");
    }

    @Test
    void theMdmPayloadUsesTheScepIdentityAndPointsAtThePluginsEndpoints() {
        NSDictionary plist = profile(false).toPlist();
        NSDictionary scep = payload(plist, "com.apple.security.scep");
        NSDictionary mdm = payload(plist, "com.apple.mdm");
        assertThat(Plists.string(mdm, "IdentityCertificateUUID")).isEqualTo(Plists.string(scep, "PayloadUUID"));
        assertThat(Plists.string(mdm, "ServerURL")).isEqualTo("https://mdm.example.com/mdm/apple-ios/connect");
        assertThat(Plists.string(mdm, "CheckInURL")).isEqualTo("https://mdm.example.com/mdm/apple-ios/checkin");
        assertThat(mdm.objectForKey("SignMessage").toJavaObject()).isEqualTo(true);
        assertThat(Plists.string((NSDictionary) scep.objectForKey("PayloadContent"), "URL")).isEqualTo("https://mdm.example.com/scep");
        assertThat(Plists.string((NSDictionary) scep.objectForKey("PayloadContent"), "Challenge")).isEqualTo("one-time-challenge");
        assertThat(payload(plist, "com.apple.security.root").objectForKey("PayloadContent")).isNotNull();
    }

    @Test
    void aPersonalDeviceCannotBeErased() {
        assertThat(profile(false).accessRights() & EnrollmentProfile.ERASE_RIGHT).isNotZero();
        assertThat(profile(true).accessRights() & EnrollmentProfile.ERASE_RIGHT).isZero();
    }

    @Test
    void appleDevicesEnrollOverHttpsWithAnMdmTopicOnly() {
        assertThatThrownBy(() -> new EnrollmentProfile("http://mdm.example.com", "/mdm/apple-ios", "/scep", "c", ca, Optional.empty(),
                "com.apple.mgmt.External.x", "Example", false, List.of(), Optional.empty())).hasMessageContaining("HTTPS");
        assertThatThrownBy(() -> new EnrollmentProfile("https://mdm.example.com", "/mdm/apple-ios", "/scep", "c", ca, Optional.empty(),
                "com.example.topic", "Example", false, List.of(), Optional.empty())).hasMessageContaining("com.apple.mgmt.");
    }

    private static NSDictionary payload(NSDictionary profile, String type) {
        for (var item : ((NSArray) profile.objectForKey("PayloadContent")).getArray()) {
            if (Plists.string((NSDictionary) item, "PayloadType").equals(type)) {
                return (NSDictionary) item;
            }
        }
        throw new AssertionError("no " + type + " payload");
    }
}
