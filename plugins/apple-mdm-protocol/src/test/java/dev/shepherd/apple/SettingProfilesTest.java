package dev.shepherd.apple;

import com.dd.plist.NSArray;
import com.dd.plist.NSDictionary;
import dev.shepherd.apple.SettingProfiles.Os;
import dev.shepherd.testing.MemoryPluginStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every kernel setting type Apple supports compiles to a profile that Apple's own schemas accept. */
class SettingProfilesTest {

    private static final AppleProfileSchema SCHEMA = new AppleProfileSchema();
    // A real certificate (the Apple-schema test CA would do as well); only its DER matters here.
    private static final String ROOT = EnrollmentProfileTestCertificates.selfSignedBase64();

    private static final Map<String, Map<String, Object>> EXAMPLES = Map.of(
            "passcode", Map.of("required", true, "minLength", 8, "requireAlphanumeric", true, "minComplexCharacters", 1,
                    "maxFailedAttempts", 10, "maxInactivityMinutes", 5, "maxAgeDays", 90, "historyCount", 5),
            "wifi", Map.of("ssid", "Corp", "security", "WPA2_ENTERPRISE", "eapMethod", "PEAP", "identity", "device@example.com",
                    "password", "correct horse", "hidden", false, "autoJoin", true, "proxyUrl", "https://proxy.example.com/proxy.pac"),
            "restrictions", Map.of("allowCamera", false, "allowScreenCapture", false, "allowAppInstallation", true, "allowUsbStorage", false,
                    "allowBluetooth", true, "allowAirDrop", false, "allowCloudBackup", false, "allowFactoryReset", false,
                    "allowAccountChanges", false, "allowDeveloperMode", false),
            "certificate", Map.of("name", "Corp root", "kind", "TRUSTED_ROOT", "data", ROOT),
            "encryption", Map.of("required", true, "escrowRecoveryKey", true),
            "email", Map.of("accountName", "Work mail", "protocol", "IMAP", "host", "imap.example.com", "port", 993, "useTls", true,
                    "emailAddress", "alice@example.com", "username", "alice", "smtpHost", "smtp.example.com", "preventMove", true));

    @ParameterizedTest
    @EnumSource(Os.class)
    void everySupportedSettingCompilesToAProfileApplesSchemasAccept(Os os) {
        EXAMPLES.forEach((type, value) -> {
            NSDictionary profile = SettingProfiles.compile("corp." + type, type, value, os);
            assertThat(SCHEMA.violations(profile, os == Os.IOS ? "iOS" : "macOS")).as(type + " on " + os).isEmpty();
            assertThat(Plists.string(profile, "PayloadIdentifier")).isEqualTo("dev.shepherd.setting.corp." + type);
        });
    }

    @ParameterizedTest
    @EnumSource(Os.class)
    void certificateKindsAndPersonalWifiAreValidToo(Os os) {
        String apple = os == Os.IOS ? "iOS" : "macOS";
        for (Map<String, Object> value : List.<Map<String, Object>>of(
                Map.of("name", "VPN identity", "kind", "PKCS12_IDENTITY", "data", Base64.getEncoder().encodeToString(new byte[]{48, 3, 2, 1, 3}),
                        "password", "secret"),
                Map.of("name", "Wi-Fi identity", "kind", "SCEP_IDENTITY", "scepUrl", "https://ca.example.com/scep", "scepChallenge", "c",
                        "subject", "CN=device,O=Example", "keySize", 2048))) {
            assertThat(SCHEMA.violations(SettingProfiles.compile("cert", "certificate", value, os), apple)).as(value.toString()).isEmpty();
        }
        NSDictionary wifi = SettingProfiles.compile("wifi", "wifi", Map.of("ssid", "Guest", "security", "WPA3_PERSONAL", "password", "hunter22"), os);
        assertThat(SCHEMA.violations(wifi, apple)).isEmpty();
        assertThat(Plists.string(payload(wifi, 0), "EncryptionType")).isEqualTo("WPA3");
        assertThat(Plists.string(payload(wifi, 0), "Password")).isEqualTo("hunter22");
    }

    @Test
    void exchangeIsAnIosAccountAndOtherwiseRefusedWithAReason() {
        Map<String, Object> exchange = Map.of("accountName", "Exchange", "protocol", "EXCHANGE", "host", "mail.example.com",
                "emailAddress", "alice@example.com", "username", "alice");
        NSDictionary profile = SettingProfiles.compile("mail", "email", exchange, Os.IOS);
        assertThat(SCHEMA.violations(profile, "iOS")).isEmpty();
        assertThat(Plists.string(payload(profile, 0), "PayloadType")).isEqualTo("com.apple.eas.account");
        assertThatThrownBy(() -> SettingProfiles.compile("mail", "email", exchange, Os.MACOS))
                .isInstanceOf(SettingProfiles.UnsupportedSettingException.class).hasMessageContaining("iOS");
    }

    @Test
    void encryptionIsFileVaultOnMacsAndAPasscodeOnIphones() {
        Map<String, Object> value = Map.of("required", true);
        assertThat(Plists.string(payload(SettingProfiles.compile("enc", "encryption", value, Os.MACOS), 0), "PayloadType"))
                .isEqualTo("com.apple.MCX.FileVault2");
        assertThat(Plists.string(payload(SettingProfiles.compile("enc", "encryption", value, Os.IOS), 0), "PayloadType"))
                .isEqualTo("com.apple.mobiledevice.passwordpolicy");
    }

    @Test
    void fileVaultThatEscrowsTheRecoveryKeyCarriesTheEscrowPayloadAndItsCertificateInOneProfile() {
        X509Certificate escrowCertificate = new FileVaultEscrow(new MemoryPluginStorage(), new TestSealer()).certificate();
        NSDictionary profile = SettingProfiles.compile("enc", "encryption", Map.of("required", true, "escrowRecoveryKey", true), Os.MACOS,
                name -> Optional.empty(), Optional.of(escrowCertificate));

        assertThat(SCHEMA.violations(profile, "macOS")).isEmpty();
        assertThat(Plists.string(payload(profile, 0), "PayloadType")).isEqualTo("com.apple.MCX.FileVault2");
        assertThat(payload(profile, 0).objectForKey("ShowRecoveryKey").toJavaObject()).isEqualTo(false);
        NSDictionary certificate = payload(profile, 1);
        NSDictionary escrow = payload(profile, 2);
        assertThat(Plists.string(certificate, "PayloadType")).isEqualTo("com.apple.security.pkcs1");
        assertThat(Plists.string(escrow, "PayloadType")).isEqualTo("com.apple.security.FDERecoveryKeyEscrow");
        assertThat(Plists.string(escrow, "EncryptCertPayloadUUID")).isEqualTo(Plists.string(certificate, "PayloadUUID"));
        assertThat(Plists.string(escrow, "Location")).isNotBlank();
        // Without escrow the user is shown the key and nothing is escrowed.
        assertThat(((NSArray) SettingProfiles.compile("enc", "encryption", Map.of("required", true), Os.MACOS,
                name -> Optional.empty(), Optional.of(escrowCertificate)).objectForKey("PayloadContent")).count()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Os.class)
    void ikev2IpsecAndL2tpVpnsCompileToProfilesApplesSchemasAccept(Os os) {
        String apple = os == Os.IOS ? "iOS" : "macOS";
        Map<String, Object> identity = Map.of("name", "VPN identity", "kind", "SCEP_IDENTITY", "scepUrl", "https://ca.example.com/scep",
                "subject", "CN=device", "keySize", 2048);
        NSDictionary ikev2 = SettingProfiles.compile("vpn/Corp", "vpn", Map.of("name", "Corp", "type", "IKEV2", "server", "vpn.example.com",
                "username", "alice", "certificate", "VPN identity", "onDemandDomains", List.of("intranet.example.com", "*.corp.example.com")),
                os, name -> name.equals("VPN identity") ? Optional.of(identity) : Optional.empty());
        assertThat(SCHEMA.violations(ikev2, apple)).isEmpty();
        assertThat(Plists.string(payload(ikev2, 0), "PayloadType")).as("the identity travels in the VPN's profile").isEqualTo("com.apple.security.scep");
        NSDictionary connection = (NSDictionary) payload(ikev2, 1).objectForKey("IKEv2");
        assertThat(Plists.string(connection, "AuthenticationMethod")).isEqualTo("Certificate");
        assertThat(Plists.string(connection, "PayloadCertificateUUID")).isEqualTo(Plists.string(payload(ikev2, 0), "PayloadUUID"));
        NSDictionary rule = (NSDictionary) ((NSArray) connection.objectForKey("OnDemandRules")).objectAtIndex(0);
        assertThat(Plists.string(rule, "Action")).isEqualTo("EvaluateConnection");

        for (Map<String, Object> value : List.<Map<String, Object>>of(
                Map.of("name", "EAP", "type", "IKEV2", "server", "vpn.example.com", "username", "alice"),
                Map.of("name", "PSK", "type", "IKEV2", "server", "vpn.example.com", "sharedSecret", "s3cret"),
                Map.of("name", "Cisco", "type", "IPSEC", "server", "asa.example.com", "username", "alice", "sharedSecret", "group-secret",
                        "onDemandDomains", List.of("intranet.example.com")),
                Map.of("name", "Legacy", "type", "L2TP", "server", "l2tp.example.com", "username", "alice", "sharedSecret", "psk"))) {
            assertThat(SCHEMA.violations(SettingProfiles.compile("vpn/" + value.get("name"), "vpn", value, os), apple)).as(value.toString()).isEmpty();
        }
    }

    /** The certificate settings of a device in these tests, by name: two client identities and a server CA. */
    private static Optional<Map<String, Object>> certificateSetting(String name) {
        return Optional.ofNullable(Map.<String, Map<String, Object>>of(
                "Wi-Fi identity", Map.of("name", "Wi-Fi identity", "kind", "SCEP_IDENTITY", "scepUrl", "https://ca.example.com/scep",
                        "subject", "CN=device,O=Example", "keySize", 2048),
                "Laptop identity", Map.of("name", "Laptop identity", "kind", "PKCS12_IDENTITY",
                        "data", Base64.getEncoder().encodeToString(new byte[]{48, 3, 2, 1, 3}), "password", "secret"),
                "RADIUS CA", Map.of("name", "RADIUS CA", "kind", "TRUSTED_ROOT", "data", ROOT)).get(name));
    }

    @ParameterizedTest
    @EnumSource(Os.class)
    void anEapTlsWifiCarriesTheNamedClientIdentityInItsOwnProfileReferencedByPayloadCertificateUuid(Os os) {
        String apple = os == Os.IOS ? "iOS" : "macOS";
        for (String identityName : List.of("Wi-Fi identity", "Laptop identity")) {
            NSDictionary profile = SettingProfiles.compile("wifi/Corp", "wifi", Map.of("ssid", "Corp", "security", "WPA2_ENTERPRISE",
                    "eapMethod", "TLS", "identity", "device@example.com", "certificate", identityName,
                    "serverCertificates", List.of("RADIUS CA"), "serverNames", List.of("radius.example.com", "*.radius.example.com")),
                    os, SettingProfilesTest::certificateSetting);
            assertThat(SCHEMA.violations(profile, apple)).as(identityName).isEmpty();
            NSDictionary identity = payload(profile, 0);
            NSDictionary anchor = payload(profile, 1);
            NSDictionary wifi = payload(profile, 2);
            assertThat(Plists.string(identity, "PayloadType")).isEqualTo(identityName.equals("Wi-Fi identity")
                    ? "com.apple.security.scep" : "com.apple.security.pkcs12");
            assertThat(Plists.string(anchor, "PayloadType")).isEqualTo("com.apple.security.root");
            assertThat(Plists.string(wifi, "PayloadType")).isEqualTo("com.apple.wifi.managed");
            // The client identity is the Wi-Fi payload's PayloadCertificateUUID (com.apple.wifi.managed.yaml) ...
            assertThat(Plists.string(wifi, "PayloadCertificateUUID")).isEqualTo(Plists.string(identity, "PayloadUUID"));
            // ... and the trust anchors are a separate list inside EAPClientConfiguration, with the server names to accept.
            NSDictionary eap = (NSDictionary) wifi.objectForKey("EAPClientConfiguration");
            assertThat(((NSArray) eap.objectForKey("AcceptEAPTypes")).objectAtIndex(0).toJavaObject()).isEqualTo(13);
            assertThat(eap.objectForKey("PayloadCertificateAnchorUUID").toJavaObject())
                    .isEqualTo(new Object[]{Plists.string(anchor, "PayloadUUID")});
            assertThat(eap.objectForKey("TLSTrustedServerNames").toJavaObject())
                    .isEqualTo(new Object[]{"radius.example.com", "*.radius.example.com"});
        }
    }

    @ParameterizedTest
    @EnumSource(Os.class)
    void aPeapWifiSignsInWithTheUsersPasswordAndTrustsOnlyItsServerCas(Os os) {
        NSDictionary profile = SettingProfiles.compile("wifi/Corp", "wifi", Map.of("ssid", "Corp", "security", "WPA3_ENTERPRISE",
                "eapMethod", "PEAP", "identity", "alice", "password", "correct horse", "serverCertificates", List.of("RADIUS CA")),
                os, SettingProfilesTest::certificateSetting);
        assertThat(SCHEMA.violations(profile, os == Os.IOS ? "iOS" : "macOS")).isEmpty();
        NSDictionary wifi = payload(profile, 1);
        NSDictionary eap = (NSDictionary) wifi.objectForKey("EAPClientConfiguration");
        assertThat(wifi.containsKey("PayloadCertificateUUID")).isFalse();
        assertThat(Plists.string(eap, "UserName")).isEqualTo("alice");
        assertThat(Plists.string(eap, "UserPassword")).isEqualTo("correct horse");
        assertThat(eap.objectForKey("PayloadCertificateAnchorUUID").toJavaObject())
                .isEqualTo(new Object[]{Plists.string(payload(profile, 0), "PayloadUUID")});
    }

    @Test
    void aWifiOrVpnNamingAMissingCertificateOrOneOfTheWrongKindIsRefusedWithTheReason() {
        Map<String, Object> tls = Map.of("ssid", "Corp", "security", "WPA2_ENTERPRISE", "eapMethod", "TLS", "certificate", "Missing");
        assertThatThrownBy(() -> SettingProfiles.compile("wifi/Corp", "wifi", tls, Os.IOS, SettingProfilesTest::certificateSetting))
                .isInstanceOf(SettingProfiles.UnsupportedSettingException.class).hasMessageContaining("\"Missing\" is not a certificate setting");
        assertThatThrownBy(() -> SettingProfiles.compile("wifi/Corp", "wifi", Map.of("ssid", "Corp", "security", "WPA2_ENTERPRISE",
                "eapMethod", "TLS", "certificate", "RADIUS CA"), Os.IOS, SettingProfilesTest::certificateSetting))
                .isInstanceOf(SettingProfiles.UnsupportedSettingException.class).hasMessageContaining("trusted root, not a client identity");
        assertThatThrownBy(() -> SettingProfiles.compile("wifi/Corp", "wifi", Map.of("ssid", "Corp", "security", "WPA2_ENTERPRISE",
                "eapMethod", "PEAP", "serverCertificates", List.of("Wi-Fi identity")), Os.MACOS, SettingProfilesTest::certificateSetting))
                .isInstanceOf(SettingProfiles.UnsupportedSettingException.class).hasMessageContaining("not a trusted root");
        assertThatThrownBy(() -> SettingProfiles.compile("wifi/Corp", "wifi", Map.of("ssid", "Corp", "security", "WPA2_ENTERPRISE",
                "eapMethod", "TLS"), Os.IOS, SettingProfilesTest::certificateSetting))
                .isInstanceOf(SettingProfiles.UnsupportedSettingException.class).hasMessageContaining("EAP-TLS needs a client identity");
        assertThatThrownBy(() -> SettingProfiles.compile("vpn/Corp", "vpn", Map.of("name", "Corp", "type", "IKEV2", "server", "a",
                "certificate", "RADIUS CA"), Os.IOS, SettingProfilesTest::certificateSetting))
                .isInstanceOf(SettingProfiles.UnsupportedSettingException.class).hasMessageContaining("trusted root, not a client identity");
    }

    @Test
    void anAlwaysOnVpnIsIkev2OnIosOnlyAndWireguardHasNoBuiltInEquivalent() {
        Map<String, Object> alwaysOn = Map.of("name", "Corp", "type", "IKEV2", "server", "vpn.example.com", "sharedSecret", "s3cret", "alwaysOn", true);
        NSDictionary profile = SettingProfiles.compile("vpn/Corp", "vpn", alwaysOn, Os.IOS);
        assertThat(SCHEMA.violations(profile, "iOS")).isEmpty();
        NSDictionary connection = (NSDictionary) payload(profile, 0).objectForKey("IKEv2");
        assertThat(connection.objectForKey("IncludeAllNetworks").toJavaObject()).isEqualTo(1);
        assertThat(connection.objectForKey("OnDemandUserOverrideDisabled").toJavaObject()).isEqualTo(1);
        assertThat(Plists.string((NSDictionary) ((NSArray) connection.objectForKey("OnDemandRules")).objectAtIndex(0), "Action")).isEqualTo("Connect");

        assertThatThrownBy(() -> SettingProfiles.compile("vpn/Corp", "vpn", alwaysOn, Os.MACOS)).hasMessageContaining("macOS");
        assertThatThrownBy(() -> SettingProfiles.compile("vpn/Cisco", "vpn", Map.of("name", "Cisco", "type", "IPSEC", "server", "a", "alwaysOn", true), Os.IOS))
                .isInstanceOf(SettingProfiles.UnsupportedSettingException.class).hasMessageContaining("IKEv2");
        assertThatThrownBy(() -> SettingProfiles.compile("vpn/WG", "vpn", Map.of("name", "WG", "type", "WIREGUARD", "server", "wg.example.com"), Os.IOS))
                .isInstanceOf(SettingProfiles.UnsupportedSettingException.class).hasMessageContaining("no built-in WIREGUARD VPN");
        assertThatThrownBy(() -> SettingProfiles.compile("vpn/Corp", "vpn", Map.of("name", "Corp", "type", "IKEV2", "server", "a", "certificate", "Missing"), Os.IOS))
                .isInstanceOf(SettingProfiles.UnsupportedSettingException.class).hasMessageContaining("\"Missing\" is not a certificate setting");
    }

    @Test
    void malformedValuesAreRefusedWithAReasonNotAnException() {
        assertThatThrownBy(() -> SettingProfiles.compile("c", "certificate", Map.of("name", "x", "kind", "TRUSTED_ROOT", "data", "bm90IGEgY2VydA=="), Os.IOS))
                .isInstanceOf(SettingProfiles.UnsupportedSettingException.class).hasMessageContaining("X.509");
        assertThatThrownBy(() -> SettingProfiles.compile("x", "dlp", Map.of(), Os.IOS))
                .isInstanceOf(SettingProfiles.UnsupportedSettingException.class).hasMessageContaining("dlp");
        assertThat(SettingProfiles.identifier("wifi/corp net")).isEqualTo("dev.shepherd.setting.wifi-corp-net");
    }

    @ParameterizedTest
    @EnumSource(Os.class)
    void aTrustedCertificateThatIsNotSelfSignedIsInstalledAsPkcs1NotAsARoot(Os os) throws Exception {
        String intermediate = Base64.getEncoder().encodeToString(
                EnrollmentProfileTestCertificates.issued("Corp issuing CA", "Corp root").getEncoded());
        NSDictionary profile = SettingProfiles.compile("chain", "certificate", Map.of("name", "Issuing CA", "kind", "TRUSTED_ROOT",
                "data", intermediate), os);
        assertThat(Plists.string(payload(profile, 0), "PayloadType")).isEqualTo("com.apple.security.pkcs1");
        assertThat(SCHEMA.violations(profile, os == Os.IOS ? "iOS" : "macOS")).isEmpty();
        assertThat(Plists.string(payload(SettingProfiles.compile("root", "certificate", EXAMPLES.get("certificate"), os), 0), "PayloadType"))
                .isEqualTo("com.apple.security.root");
    }

    private static NSDictionary payload(NSDictionary profile, int index) {
        return (NSDictionary) ((NSArray) profile.objectForKey("PayloadContent")).objectAtIndex(index);
    }
}
