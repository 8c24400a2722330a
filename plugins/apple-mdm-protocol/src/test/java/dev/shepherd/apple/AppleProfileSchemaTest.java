package dev.shepherd.apple;

import com.dd.plist.NSArray;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What {@link AppleProfileSchema} accepts and what it reports, on hand-built profiles. */
class AppleProfileSchemaTest {

    private static final String SCEP_UUID = "7A2B4C6D-1E3F-4A5B-8C7D-9E0F1A2B3C4D";

    private final AppleProfileSchema schema = new AppleProfileSchema();

    @ParameterizedTest
    @ValueSource(strings = {"iOS", "macOS"})
    void aValidEnrollmentProfileHasNoViolations(String os) {
        assertThat(schema.violations(enrollmentProfile(), os)).isEmpty();
    }

    @Test
    void aMissingRequiredKeyIsReported() {
        NSDictionary profile = enrollmentProfile();
        mdm(profile).remove("Topic");

        assertThat(only(profile)).isEqualTo("PayloadContent[1].Topic: required key is missing");
    }

    @Test
    void aMissingRequiredTopLevelKeyIsReported() {
        NSDictionary profile = enrollmentProfile();
        profile.remove("PayloadUUID");

        assertThat(only(profile)).isEqualTo("PayloadUUID: required key is missing");
    }

    @Test
    void aValueOfTheWrongTypeIsReported() {
        NSDictionary profile = enrollmentProfile();
        mdm(profile).put("AccessRights", "8191");

        assertThat(only(profile)).isEqualTo("PayloadContent[1].AccessRights: expected <integer> but found <string>");
    }

    @Test
    void aBooleanIsNotAnInteger() {
        NSDictionary profile = enrollmentProfile();
        profile.put("PayloadVersion", true);

        assertThat(only(profile)).isEqualTo("PayloadVersion: expected <integer> but found <boolean>");
    }

    @Test
    void aStringNotMatchingTheFormatIsReported() {
        NSDictionary profile = enrollmentProfile();
        mdm(profile).put("ServerURL", "http://mdm.example.com/mdm");

        assertThat(only(profile))
                .startsWith("PayloadContent[1].ServerURL: \"http://mdm.example.com/mdm\" does not match the format");
    }

    @Test
    void anUndeclaredKeyIsReported() {
        NSDictionary profile = enrollmentProfile();
        mdm(profile).put("ServerUrl", "https://mdm.example.com/mdm");

        assertThat(only(profile)).isEqualTo("PayloadContent[1].ServerUrl: key is not defined by the schema");
    }

    @ParameterizedTest
    @ValueSource(strings = {"com.example.nonsense", "TopLevel", "CommonPayloadKeys", "../profiles/TopLevel"})
    void anUnknownPayloadTypeIsReported(String type) {
        NSDictionary profile = enrollmentProfile();
        NSDictionary unknown = payload(type, "8F0C5D52-3B1A-4E69-9C2D-0A1B2C3D4E5F");
        unknown.put("Anything", "goes");
        profile.put("PayloadContent", new NSArray(scep(profile), mdm(profile), unknown));

        assertThat(only(profile))
                .isEqualTo("PayloadContent[2].PayloadType: no schema for payload type \"" + type + "\"");
    }

    @Test
    void aValueOutsideTheRangeListIsReported() {
        NSDictionary profile = enrollmentProfile();
        scepContent(profile).put("Keysize", 1000);

        assertThat(only(profile))
                .isEqualTo("PayloadContent[0].PayloadContent.Keysize: 1000 is not one of [1024,2048,4096]");
    }

    @Test
    void anArrayElementOutsideTheRangeListIsReported() {
        NSDictionary profile = enrollmentProfile();
        mdm(profile).put("ServerCapabilities", new NSArray(NSObject.fromJavaObject("com.apple.mdm.everything")));

        assertThat(only(profile)).startsWith("PayloadContent[1].ServerCapabilities[0]: \"com.apple.mdm.everything\"");
    }

    @Test
    void anArrayLengthOutsideTheElementRepetitionIsReported() {
        NSDictionary profile = enrollmentProfile();
        scepContent(profile).put("Subject", subject("CN", "device-1", "extra"));

        assertThat(only(profile))
                .startsWith("PayloadContent[0].PayloadContent.Subject[0][0]: element count 3 is outside");
    }

    @Test
    void aNumberOutsideTheRangeIsReported() {
        NSDictionary profile = enrollmentProfile();
        NSDictionary passcode =
                payload("com.apple.mobiledevice.passwordpolicy", "3C1D2E4F-5A6B-4C7D-8E9F-0A1B2C3D4E5F");
        passcode.put("minLength", 17);
        profile.put("PayloadContent", new NSArray(scep(profile), mdm(profile), passcode));

        assertThat(only(profile)).startsWith("PayloadContent[2].minLength: value 17 is outside");
    }

    @Test
    void aPayloadTypeUnsupportedOnTheOsIsReported() {
        NSDictionary profile = enrollmentProfile();
        NSDictionary updates = payload("com.apple.SoftwareUpdate", "5E6F7A8B-9C0D-4E1F-A2B3-C4D5E6F7A8B9");
        updates.put("AutomaticCheckEnabled", true);
        profile.put("PayloadContent", new NSArray(scep(profile), mdm(profile), updates));

        assertThat(schema.violations(profile, "macOS")).isEmpty();
        assertThat(schema.violations(profile, "iOS"))
                .containsExactly("PayloadContent[2]: payload type com.apple.SoftwareUpdate is not supported on iOS");
    }

    @Test
    void subkeysSharedThroughYamlAliasesAreChecked() {
        // com.apple.vpn.managed declares IKEv2.OnDemandRules as an alias of VPN.OnDemandRules' subkeys.
        NSDictionary profile = enrollmentProfile();
        NSDictionary vpn = payload("com.apple.vpn.managed", "1B2C3D4E-5F6A-4B7C-8D9E-0F1A2B3C4D5E");
        vpn.put("VPNType", "IKEv2");
        vpn.put("UserDefinedName", "Office");
        NSDictionary ikev2 = new NSDictionary();
        ikev2.put("RemoteAddress", "vpn.example.com");
        ikev2.put("LocalIdentifier", "device-1");
        ikev2.put("RemoteIdentifier", "vpn.example.com");
        ikev2.put("AuthenticationMethod", "Certificate");
        NSDictionary rule = new NSDictionary();
        rule.put("Action", "Connect");
        ikev2.put("OnDemandRules", new NSArray(rule));
        vpn.put("IKEv2", ikev2);
        profile.put("PayloadContent", new NSArray(scep(profile), mdm(profile), vpn));
        assertThat(schema.violations(profile, "iOS")).isEmpty();

        rule.put("Action", "Sometimes");

        assertThat(only(profile)).startsWith("PayloadContent[2].IKEv2.OnDemandRules[0].Action: \"Sometimes\"");
    }

    @Test
    void consentTextMapsLanguagesToText() {
        NSDictionary profile = enrollmentProfile();
        NSDictionary consent = new NSDictionary();
        consent.put("default", "Your device will be managed.");
        consent.put("de", "Ihr Gerät wird verwaltet.");
        profile.put("ConsentText", consent);
        assertThat(schema.violations(profile, "iOS")).isEmpty();

        consent.put("fr", 42);

        assertThat(only(profile)).isEqualTo("ConsentText.fr: expected <string> but found <integer>");
    }

    @Test
    void anUnknownOsIsRefused() {
        assertThatThrownBy(() -> schema.violations(enrollmentProfile(), "ios"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private String only(NSDictionary profile) {
        List<String> violations = schema.violations(profile, "iOS");
        assertThat(violations).hasSize(1);
        return violations.get(0);
    }

    @Test
    void aReferenceToAPayloadMustResolveWithinTheProfileToAPayloadOfAFittingType() {
        NSDictionary profile = enrollmentProfile();
        mdm(profile).put("IdentityCertificateUUID", "00000000-0000-4000-8000-000000000000");
        assertThat(only(profile)).isEqualTo("PayloadContent[1].IdentityCertificateUUID: \"00000000-0000-4000-8000-000000000000\" "
                + "names no payload of this profile");

        NSDictionary wifi = payload("com.apple.wifi.managed", "1D1E2F3A-4B5C-4D6E-8F7A-8B9C0D1E2F3A");
        wifi.put("SSID_STR", "Corp");
        wifi.put("EncryptionType", "WPA2");
        wifi.put("PayloadCertificateUUID", "6F7A8B9C-0D1E-4F2A-B3C4-D5E6F7A8B9C0");
        NSDictionary eap = new NSDictionary();
        eap.put("AcceptEAPTypes", new NSArray(NSObject.fromJavaObject(13)));
        eap.put("PayloadCertificateAnchorUUID", new NSArray(NSObject.fromJavaObject(SCEP_UUID)));
        wifi.put("EAPClientConfiguration", eap);
        NSDictionary withWifi = enrollmentProfile();
        withWifi.put("PayloadContent", new NSArray(scep(withWifi), mdm(withWifi), wifi));
        assertThat(schema.violations(withWifi, "iOS")).containsExactly(
                "PayloadContent[2].PayloadCertificateUUID: \"6F7A8B9C-0D1E-4F2A-B3C4-D5E6F7A8B9C0\" names no payload of this profile",
                "PayloadContent[2].EAPClientConfiguration.PayloadCertificateAnchorUUID: \"" + SCEP_UUID + "\" names a "
                        + "com.apple.security.scep payload, not one of [com.apple.security.pem, com.apple.security.pkcs1, com.apple.security.root]");
    }

    @Test
    void payloadUuidsAndIdentifiersAreUniqueInAProfile() {
        NSDictionary profile = enrollmentProfile();
        mdm(profile).put("PayloadUUID", SCEP_UUID);
        mdm(profile).put("IdentityCertificateUUID", SCEP_UUID);
        assertThat(schema.violations(profile, "iOS")).contains("PayloadContent[1].PayloadUUID: " + SCEP_UUID + " is not unique in the profile");
    }

    @ParameterizedTest
    @ValueSource(strings = {"iOS", "macOS"})
    void aCommandIsCheckedAgainstTheSchemaOfItsRequestType(String os) {
        assertThat(schema.commandViolations(command("DeviceLock", "PhoneNumber", "+1 555 0100", "Message", "Call IT"), os)).isEmpty();
        assertThat(schema.commandViolations(command("DeviceLock", "PIN", "123456"), os)).isEqualTo(os.equals("iOS")
                ? List.of("Command.PIN: key is not available on iOS") : List.of());
        assertThat(schema.commandViolations(command("Teleport"), os)).containsExactly("Command.RequestType: \"Teleport\" is not a command Apple defines");
        assertThat(schema.commandViolations(command("DeviceLock", "Pin", "123456"), os)).containsExactly("Command.Pin: key is not defined by the schema");
        assertThat(schema.commandViolations(command("InstallProfile"), os)).containsExactly("Command.Payload: required key is missing");
        assertThat(schema.commandViolations(command("DeviceLock", "Message", 123456), os)).containsExactly("Command.Message: expected <string> but found <integer>");
        NSDictionary envelope = command("RestartDevice");
        envelope.remove("CommandUUID");
        envelope.put("Extra", true);
        assertThat(schema.commandViolations(envelope, os)).containsExactlyInAnyOrder("Extra: not a key of an MDM command (CommandUUID, Command)",
                "CommandUUID: required <string> is missing");
    }

    @Test
    void settingsItemsAreCheckedAgainstTheAlternativeTheirItemNames() {
        NSDictionary bluetooth = new NSDictionary();
        bluetooth.put("Item", "Bluetooth");
        bluetooth.put("Enabled", true);
        NSDictionary hostName = new NSDictionary();
        hostName.put("Item", "HostName");
        hostName.put("HostName", "front-desk");
        NSDictionary unknown = new NSDictionary();
        unknown.put("Item", "Teleporter");
        assertThat(schema.commandViolations(command("Settings", "Settings", new NSArray(bluetooth, hostName)), "macOS")).isEmpty();
        assertThat(schema.commandViolations(command("Settings", "Settings", new NSArray(bluetooth, hostName)), "iOS"))
                .containsExactly("Command.Settings[1]: Item HostName is not available on iOS");
        bluetooth.put("Enabled", "yes");
        assertThat(schema.commandViolations(command("Settings", "Settings", new NSArray(bluetooth, unknown)), "macOS"))
                .hasSize(2).anyMatch(problem -> problem.startsWith("Command.Settings[1]: Item \"Teleporter\" is none of"))
                .contains("Command.Settings[0].Enabled: expected <boolean> but found <string>");
    }

    @Test
    void aDeclarativeManagementAnswerIsCheckedAgainstItsProtocolSchema() {
        NSDictionary item = new NSDictionary();
        item.put("Identifier", "dev.shepherd.activation");
        item.put("ServerToken", "1");
        NSDictionary declarations = new NSDictionary();
        declarations.put("Activations", new NSArray(item));
        declarations.put("Configurations", new NSArray());
        NSDictionary answer = new NSDictionary();
        answer.put("Declarations", declarations);
        answer.put("DeclarationsToken", "abc");
        assertThat(schema.protocolViolations("declarationitemsresponse", answer, "iOS"))
                .containsExactlyInAnyOrder("Declarations.Assets: required key is missing", "Declarations.Management: required key is missing");
        declarations.put("Assets", new NSArray());
        declarations.put("Management", new NSArray());
        assertThat(schema.protocolViolations("declarationitemsresponse", answer, "macOS")).isEmpty();
        item.remove("ServerToken");
        assertThat(schema.protocolViolations("declarationitemsresponse", answer, "macOS"))
                .containsExactly("Declarations.Activations[0].ServerToken: required key is missing");
    }

    /** An MDM command of a request type, with pairs of keys and values. */
    private static NSDictionary command(String requestType, Object... keysAndValues) {
        NSDictionary request = new NSDictionary();
        request.put("RequestType", requestType);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            request.put((String) keysAndValues[i], NSObject.fromJavaObject(keysAndValues[i + 1]));
        }
        NSDictionary command = new NSDictionary();
        command.put("CommandUUID", "5E6F7A8B-9C0D-4E1F-A2B3-C4D5E6F7A8B9");
        command.put("Command", request);
        return command;
    }

    /** A Configuration profile with a SCEP payload and the MDM payload whose identity it provides. */
    private static NSDictionary enrollmentProfile() {
        NSDictionary scepContent = new NSDictionary();
        scepContent.put("URL", "https://shepherd.example.com/scep");
        scepContent.put("Name", "Shepherd CA");
        scepContent.put("Challenge", "one-time-secret");
        scepContent.put("Keysize", 2048);
        scepContent.put("Key Type", "RSA");
        scepContent.put("Key Usage", 5);
        scepContent.put("Subject", subject("CN", "device-1"));
        NSDictionary scep = payload("com.apple.security.scep", SCEP_UUID);
        scep.put("PayloadContent", scepContent);

        NSDictionary mdm = payload("com.apple.mdm", "0D1E2F3A-4B5C-4D6E-8F7A-8B9C0D1E2F3A");
        mdm.put("IdentityCertificateUUID", SCEP_UUID);
        mdm.put("Topic", "com.apple.mgmt.External.x");
        mdm.put("ServerURL", "https://shepherd.example.com/mdm");
        mdm.put("CheckInURL", "https://shepherd.example.com/checkin");
        mdm.put("AccessRights", 8191);
        mdm.put("SignMessage", true);
        mdm.put("CheckOutWhenRemoved", true);
        mdm.put("ServerCapabilities", new NSArray(NSObject.fromJavaObject("com.apple.mdm.per-user-connections")));

        NSDictionary profile = new NSDictionary();
        profile.put("PayloadType", "Configuration");
        profile.put("PayloadVersion", 1);
        profile.put("PayloadIdentifier", "dev.shepherd.enrollment");
        profile.put("PayloadUUID", "6F7A8B9C-0D1E-4F2A-B3C4-D5E6F7A8B9C0");
        profile.put("PayloadDisplayName", "Shepherd enrollment");
        profile.put("PayloadOrganization", "Example Org");
        profile.put("PayloadContent", new NSArray(scep, mdm));
        return profile;
    }

    private static NSDictionary payload(String type, String uuid) {
        NSDictionary payload = new NSDictionary();
        payload.put("PayloadType", type);
        payload.put("PayloadVersion", 1);
        payload.put("PayloadIdentifier", "dev.shepherd.enrollment." + type);
        payload.put("PayloadUUID", uuid);
        return payload;
    }

    /** An X.500 name with a single relative distinguished name made of {@code pair}. */
    private static NSArray subject(String... pair) {
        return new NSArray(new NSArray((NSArray) NSObject.fromJavaObject(pair)));
    }

    private static NSDictionary scep(NSDictionary profile) {
        return (NSDictionary) ((NSArray) profile.get("PayloadContent")).objectAtIndex(0);
    }

    private static NSDictionary scepContent(NSDictionary profile) {
        return (NSDictionary) scep(profile).get("PayloadContent");
    }

    private static NSDictionary mdm(NSDictionary profile) {
        return (NSDictionary) ((NSArray) profile.get("PayloadContent")).objectAtIndex(1);
    }
}
