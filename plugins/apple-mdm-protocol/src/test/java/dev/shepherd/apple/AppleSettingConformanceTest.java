package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
import com.dd.plist.NSObject;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.apple.DeclarativeManagement.Declaration;
import dev.shepherd.apple.SettingProfiles.Os;
import dev.shepherd.apple.SettingProfiles.UnsupportedSettingException;
import dev.shepherd.policy.SettingType;
import dev.shepherd.policy.SettingTypes;
import dev.shepherd.testing.MemoryPluginStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The conformance table of the Apple plugins: every setting type they claim, with values reaching each field of the
 * type and its limits, compiles on iOS and on macOS to what Apple's schemas (release iOS 18.1 / macOS 15.1) accept —
 * configuration profiles against {@code mdm/profiles}, declarations against {@code declarative/declarations} — or is
 * refused with a reason where the table says the OS has no equivalent. Each value is first checked against the
 * kernel's own schema of the type, so the table holds only what an admin can really send.
 */
class AppleSettingConformanceTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SettingTypes KERNEL_TYPES = new SettingTypes(JSON);
    private static final AppleProfileSchema SCHEMA = new AppleProfileSchema();
    private static final String ROOT = EnrollmentProfileTestCertificates.selfSignedBase64();
    private static final Set<Os> BOTH = Set.of();
    private static final Set<Os> NOT_ON_MACOS = Set.of(Os.MACOS);
    private static final Set<Os> NEITHER = Set.of(Os.IOS, Os.MACOS);

    /** The device's certificate settings that Wi-Fi and VPN values below name. */
    private static final Map<String, Map<String, Object>> CERTIFICATES = Map.of(
            "Device identity", Map.of("name", "Device identity", "kind", "SCEP_IDENTITY", "scepUrl", "https://ca.example.com/scep",
                    "scepChallenge", "one-time", "subject", "CN=%device.serialNumber%,O=Example", "keySize", 4096),
            "User identity", Map.of("name", "User identity", "kind", "PKCS12_IDENTITY",
                    "data", Base64.getEncoder().encodeToString(new byte[]{48, 3, 2, 1, 3}), "password", "p12-secret"),
            "RADIUS CA", Map.of("name", "RADIUS CA", "kind", "TRUSTED_ROOT", "data", ROOT));

    /**
     * One row of the table: a setting value and the OSes that refuse it (with the reason the plugin gives).
     *
     * @param refusedOn the OSes on which the value has no Apple equivalent and is refused
     */
    record Row(String type, String what, Map<String, Object> value, Set<Os> refusedOn) {
    }

    static final List<Row> TABLE = List.of(
            new Row("passcode", "every field at its kernel maximum that Apple can hold", Map.of("required", true, "minLength", 16,
                    "requireAlphanumeric", true, "minComplexCharacters", 4, "maxFailedAttempts", 100, "maxInactivityMinutes", 60,
                    "maxAgeDays", 730, "historyCount", 50), BOTH),
            new Row("passcode", "every field at its kernel minimum", Map.of("required", false, "minLength", 0, "requireAlphanumeric", false,
                    "minComplexCharacters", 0, "maxFailedAttempts", 2, "maxInactivityMinutes", 1, "maxAgeDays", 0, "historyCount", 0), BOTH),
            new Row("passcode", "a length Apple cannot require", Map.of("required", true, "minLength", 64), NEITHER),
            new Row("passcode", "more complex characters than Apple counts", Map.of("required", true, "minComplexCharacters", 16), NEITHER),
            new Row("wifi", "open", Map.of("ssid", "Guest", "security", "NONE", "hidden", true, "autoJoin", false), BOTH),
            new Row("wifi", "WPA2 personal behind a proxy", Map.of("ssid", "Corp", "security", "WPA2_PERSONAL", "password", "correct horse",
                    "proxyUrl", "https://proxy.example.com/proxy.pac"), BOTH),
            new Row("wifi", "WPA3 personal", Map.of("ssid", "Corp6", "security", "WPA3_PERSONAL", "password", "correct horse"), BOTH),
            new Row("wifi", "WPA2 enterprise PEAP with server CAs and names", Map.of("ssid", "Staff", "security", "WPA2_ENTERPRISE",
                    "eapMethod", "PEAP", "identity", "alice", "password", "correct horse", "serverCertificates", List.of("RADIUS CA"),
                    "serverNames", List.of("radius.example.com")), BOTH),
            new Row("wifi", "WPA3 enterprise EAP-TLS with a SCEP identity", Map.of("ssid", "Secure", "security", "WPA3_ENTERPRISE",
                    "eapMethod", "TLS", "identity", "device@example.com", "certificate", "Device identity",
                    "serverCertificates", List.of("RADIUS CA"), "serverNames", List.of("*.radius.example.com")), BOTH),
            new Row("wifi", "WPA2 enterprise EAP-TLS with a PKCS#12 identity", Map.of("ssid", "Lab", "security", "WPA2_ENTERPRISE",
                    "eapMethod", "TLS", "certificate", "User identity"), BOTH),
            new Row("wifi", "WPA2 enterprise TTLS", Map.of("ssid", "Old", "security", "WPA2_ENTERPRISE", "eapMethod", "TTLS",
                    "identity", "alice", "password", "correct horse"), BOTH),
            new Row("wifi", "EAP-TLS without an identity", Map.of("ssid", "Lab", "security", "WPA2_ENTERPRISE", "eapMethod", "TLS"), NEITHER),
            new Row("wifi", "EAP-TLS naming an Android key pair alias", Map.of("ssid", "Lab", "security", "WPA2_ENTERPRISE",
                    "eapMethod", "TLS", "clientKeyAlias", "installed-alias"), NEITHER),
            new Row("wifi", "a personal network naming a client identity", Map.of("ssid", "Home", "security", "WPA2_PERSONAL",
                    "password", "correct horse", "certificate", "Device identity"), NEITHER),
            new Row("restrictions", "everything forbidden", Map.of("allowCamera", false, "allowScreenCapture", false,
                    "allowAppInstallation", false, "allowUsbStorage", false, "allowBluetooth", false, "allowAirDrop", false,
                    "allowCloudBackup", false, "allowFactoryReset", false, "allowDeveloperMode", false, "allowAccountChanges", false), BOTH),
            new Row("restrictions", "everything allowed", Map.of("allowCamera", true, "allowScreenCapture", true, "allowAppInstallation", true,
                    "allowUsbStorage", true, "allowBluetooth", true, "allowAirDrop", true, "allowCloudBackup", true, "allowFactoryReset", true,
                    "allowDeveloperMode", true, "allowAccountChanges", true), BOTH),
            new Row("certificate", "a self-signed root", Map.of("name", "Corp root", "kind", "TRUSTED_ROOT", "data", ROOT), BOTH),
            new Row("certificate", "an intermediate CA", Map.of("name", "Issuing CA", "kind", "TRUSTED_ROOT", "data", intermediate()), BOTH),
            new Row("certificate", "a PKCS#12 identity", CERTIFICATES.get("User identity"), BOTH),
            new Row("certificate", "a SCEP identity", CERTIFICATES.get("Device identity"), BOTH),
            new Row("encryption", "required, the key escrowed", Map.of("required", true, "escrowRecoveryKey", true), BOTH),
            new Row("encryption", "required, the key shown to the user", Map.of("required", true, "escrowRecoveryKey", false), BOTH),
            new Row("encryption", "not required", Map.of("required", false), BOTH),
            new Row("email", "IMAP with TLS, every field", Map.of("accountName", "Work mail", "protocol", "IMAP", "host", "imap.example.com",
                    "port", 993, "useTls", true, "emailAddress", "alice@example.com", "username", "alice", "smtpHost", "smtp.example.com",
                    "preventMove", true), BOTH),
            new Row("email", "IMAP without TLS", Map.of("accountName", "Legacy", "protocol", "IMAP", "host", "mail.example.com",
                    "useTls", false), BOTH),
            new Row("email", "Exchange ActiveSync", Map.of("accountName", "Exchange", "protocol", "EXCHANGE", "host", "mail.example.com",
                    "useTls", true, "emailAddress", "alice@example.com", "username", "alice", "preventMove", true), NOT_ON_MACOS),
            new Row("vpn", "IKEv2 with a client identity, on demand", Map.of("name", "Corp", "type", "IKEV2", "server", "vpn.example.com",
                    "username", "alice", "certificate", "Device identity", "onDemandDomains", List.of("intranet.example.com")), BOTH),
            new Row("vpn", "IKEv2 with a shared secret, always on", Map.of("name", "Always", "type", "IKEV2", "server", "vpn.example.com",
                    "sharedSecret", "s3cret", "alwaysOn", true), NOT_ON_MACOS),
            new Row("vpn", "IKEv2 with EAP", Map.of("name", "EAP", "type", "IKEV2", "server", "vpn.example.com", "username", "alice"), BOTH),
            new Row("vpn", "Cisco IPSec with XAuth", Map.of("name", "Cisco", "type", "IPSEC", "server", "asa.example.com", "username", "alice",
                    "sharedSecret", "group", "onDemandDomains", List.of("intranet.example.com")), BOTH),
            new Row("vpn", "Cisco IPSec with a client identity", Map.of("name", "CiscoCert", "type", "IPSEC", "server", "asa.example.com",
                    "certificate", "User identity"), BOTH),
            new Row("vpn", "L2TP", Map.of("name", "Legacy", "type", "L2TP", "server", "l2tp.example.com", "username", "alice",
                    "sharedSecret", "psk"), BOTH),
            new Row("vpn", "WireGuard", Map.of("name", "WG", "type", "WIREGUARD", "server", "wg.example.com"), NEITHER),
            new Row("vpn", "an SSL VPN", Map.of("name", "SSL", "type", "SSL", "server", "ssl.example.com"), NEITHER),
            new Row("os_update", "a minimum version by a deadline", Map.of("minimumVersion", "18.1", "enforceBy", "2026-12-31T18:00:00+01:00"), BOTH),
            new Row("os_update", "automatic, deferred, in a window", Map.of("automatic", true, "deferralDays", 90,
                    "installWindowStart", "02:00", "installWindowEnd", "04:00"), BOTH),
            new Row("os_update", "a minimum version without a deadline", Map.of("minimumVersion", "18.1"), NEITHER));

    @ParameterizedTest
    @EnumSource(Os.class)
    void everySettingTypeCompilesToWhatApplesSchemasAcceptOrIsRefusedWithAReason(Os os) {
        String apple = os == Os.IOS ? "iOS" : "macOS";
        X509Certificate escrow = new FileVaultEscrow(new MemoryPluginStorage(), new TestSealer()).certificate();
        SettingDelivery asDeclarations = new SettingDelivery(true);
        for (Row row : TABLE) {
            String what = row.type() + " (" + row.what() + ") on " + apple;
            SettingType type = KERNEL_TYPES.get(row.type()).orElseThrow();
            assertThat(KERNEL_TYPES.validate(type, JSON.valueToTree(row.value()))).as("the kernel's schema accepts " + what).isEmpty();
            List<Runnable> deliveries = new ArrayList<>();
            if (SettingProfiles.SUPPORTED_TYPES.contains(row.type()) && !new SettingDelivery(false).declarative(row.type())) {
                deliveries.add(() -> {
                    NSDictionary profile = SettingProfiles.compile(row.type() + "/x", row.type(), row.value(), os,
                            name -> Optional.ofNullable(CERTIFICATES.get(name)), Optional.of(escrow));
                    assertThat(SCHEMA.violations(profile, apple)).as("profile of " + what).isEmpty();
                });
            }
            if (asDeclarations.declarative(row.type())) {
                deliveries.add(() -> {
                    for (Declaration declaration : SettingDeclarations.compile(row.type() + "/x", row.type(), row.value(), os)) {
                        assertThat(SCHEMA.declarationViolations(declaration.type(), (NSDictionary) NSObject.fromJavaObject(declaration.payload()),
                                apple)).as(declaration.type() + " of " + what).isEmpty();
                    }
                });
            }
            assertThat(deliveries).as(what + " reaches Apple devices some way").isNotEmpty();
            for (Runnable delivery : deliveries) {
                if (row.refusedOn().contains(os)) {
                    assertThatThrownBy(delivery::run).as(what).isInstanceOf(UnsupportedSettingException.class)
                            .satisfies(refusal -> assertThat(refusal.getMessage()).isNotBlank());
                } else {
                    delivery.run();
                }
            }
        }
    }

    @Test
    void theTableCoversEverySettingTypeThePluginsClaimAndEveryFieldOfEach() {
        Set<String> claimed = new TreeSet<>(SettingProfiles.SUPPORTED_TYPES);
        claimed.addAll(SettingDeclarations.TYPES);
        Set<String> tabled = TABLE.stream().map(Row::type).collect(Collectors.toCollection(TreeSet::new));
        assertThat(tabled).isEqualTo(claimed);
        for (String type : claimed) {
            Set<String> fields = new HashSet<>();
            KERNEL_TYPES.get(type).orElseThrow().schema().path("properties").fieldNames().forEachRemaining(fields::add);
            Set<String> exercised = TABLE.stream().filter(row -> row.type().equals(type)).flatMap(row -> row.value().keySet().stream())
                    .collect(Collectors.toSet());
            assertThat(exercised).as("the fields of " + type + " the table sets").containsAll(fields);
        }
    }

    private static String intermediate() {
        try {
            return Base64.getEncoder().encodeToString(EnrollmentProfileTestCertificates.issued("Corp issuing CA", "Corp root").getEncoded());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
