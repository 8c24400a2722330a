package dev.shepherd.plugins.windows.csp;

import dev.shepherd.plugins.windows.xml.SafeXml;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Wi-Fi networks as WiFi CSP profiles: one WLAN_profile document per SSID. */
class WifiCspsTest {

    private static final String WLAN = "http://www.microsoft.com/networking/WLAN/profile/v1";
    private static final String ONE_X = "http://www.microsoft.com/networking/OneX/v1";

    @Test
    void aWpa2PersonalNetworkIsAddedAsAWlanProfileNamedBySsid() {
        List<CspOperation> operations = SettingCsps.install("wifi/Corp", "wifi", Map.of("ssid", "Corp", "security", "WPA2_PERSONAL",
                "password", "correct horse battery"));

        assertThat(operations).hasSize(1);
        CspOperation add = operations.get(0);
        assertThat(add.verb()).isEqualTo("Add");
        assertThat(add.locUri()).isEqualTo("./Device/Vendor/MSFT/WiFi/Profile/Corp/WlanXml");
        assertThat(add.format()).hasValue("chr");
        Element profile = SafeXml.parse(add.data().orElseThrow()).getDocumentElement();
        assertThat(profile.getLocalName()).isEqualTo("WLANProfile");
        assertThat(profile.getNamespaceURI()).isEqualTo(WLAN);
        assertThat(SafeXml.childText(profile, WLAN, "name")).hasValue("Corp");
        Element ssidConfig = SafeXml.child(profile, WLAN, "SSIDConfig").orElseThrow();
        Element ssid = SafeXml.child(ssidConfig, WLAN, "SSID").orElseThrow();
        assertThat(SafeXml.childText(ssid, WLAN, "hex")).hasValue("436F7270");
        assertThat(SafeXml.childText(ssid, WLAN, "name")).hasValue("Corp");
        assertThat(SafeXml.childText(ssidConfig, WLAN, "nonBroadcast")).hasValue("false");
        assertThat(SafeXml.childText(profile, WLAN, "connectionType")).hasValue("ESS");
        assertThat(SafeXml.childText(profile, WLAN, "connectionMode")).hasValue("auto");
        Element security = SafeXml.descendant(profile, WLAN, "security").orElseThrow();
        Element auth = SafeXml.child(security, WLAN, "authEncryption").orElseThrow();
        assertThat(SafeXml.childText(auth, WLAN, "authentication")).hasValue("WPA2PSK");
        assertThat(SafeXml.childText(auth, WLAN, "encryption")).hasValue("AES");
        assertThat(SafeXml.childText(auth, WLAN, "useOneX")).hasValue("false");
        Element key = SafeXml.child(security, WLAN, "sharedKey").orElseThrow();
        assertThat(SafeXml.children(key)).extracting(Element::getLocalName).as("keyType and protected come before keyMaterial")
                .containsExactly("keyType", "protected", "keyMaterial");
        assertThat(SafeXml.childText(key, WLAN, "keyType")).hasValue("passPhrase");
        assertThat(SafeXml.childText(key, WLAN, "protected")).hasValue("false");
        assertThat(SafeXml.childText(key, WLAN, "keyMaterial")).hasValue("correct horse battery");
    }

    @Test
    void namesAndPasswordsAreEscapedInTheXmlAndTheSsidInTheNodeUri() {
        String ssid = "Café & <Guests>/2";
        CspOperation add = SettingCsps.install("wifi/x", "wifi", Map.of("ssid", ssid, "security", "WPA3_PERSONAL",
                "password", "p\"a'ss<&>word", "hidden", true, "autoJoin", false)).get(0);

        assertThat(add.locUri()).isEqualTo("./Device/Vendor/MSFT/WiFi/Profile/Caf%C3%A9%20%26%20%3CGuests%3E%2F2/WlanXml");
        Element profile = SafeXml.parse(add.data().orElseThrow()).getDocumentElement();
        assertThat(SafeXml.childText(profile, WLAN, "name")).hasValue(ssid);
        assertThat(SafeXml.descendant(profile, WLAN, "hex").orElseThrow().getTextContent()).isEqualTo("436166C3A92026203C4775657374733E2F32");
        assertThat(SafeXml.descendant(profile, WLAN, "nonBroadcast").orElseThrow().getTextContent()).isEqualTo("true");
        assertThat(SafeXml.childText(profile, WLAN, "connectionMode")).hasValue("manual");
        assertThat(SafeXml.descendant(profile, WLAN, "authentication").orElseThrow().getTextContent()).isEqualTo("WPA3SAE");
        assertThat(SafeXml.descendant(profile, WLAN, "keyMaterial").orElseThrow().getTextContent()).isEqualTo("p\"a'ss<&>word");
    }

    @Test
    void anOpenNetworkHasNoKey() {
        Element profile = profile(Map.of("ssid", "Lobby", "security", "NONE"));
        assertThat(SafeXml.descendant(profile, WLAN, "authentication").orElseThrow().getTextContent()).isEqualTo("open");
        assertThat(SafeXml.descendant(profile, WLAN, "encryption").orElseThrow().getTextContent()).isEqualTo("none");
        assertThat(SafeXml.descendant(profile, WLAN, "sharedKey")).isEmpty();
    }

    @Test
    void enterpriseNetworksCarryEapTlsOrPeapInOneX() {
        Element tls = profile(Map.of("ssid", "Secure", "security", "WPA2_ENTERPRISE", "eapMethod", "TLS", "certificate", "wifi-identity"));
        assertThat(SafeXml.descendant(tls, WLAN, "authentication").orElseThrow().getTextContent()).isEqualTo("WPA2");
        assertThat(SafeXml.descendant(tls, WLAN, "useOneX").orElseThrow().getTextContent()).isEqualTo("true");
        Element oneX = SafeXml.descendant(tls, ONE_X, "OneX").orElseThrow();
        assertThat(SafeXml.childText(oneX, ONE_X, "authMode")).hasValue("machineOrUser");
        assertThat(SafeXml.descendant(oneX, "http://www.microsoft.com/provisioning/EapCommon", "Type").orElseThrow().getTextContent())
                .isEqualTo("13");
        assertThat(SafeXml.descendant(oneX, "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV1", "SimpleCertSelection")
                .orElseThrow().getTextContent()).isEqualTo("true");

        Element peap = profile(Map.of("ssid", "Staff", "security", "WPA3_ENTERPRISE", "eapMethod", "PEAP"));
        assertThat(SafeXml.descendant(peap, WLAN, "authentication").orElseThrow().getTextContent()).isEqualTo("WPA3ENT");
        assertThat(SafeXml.descendant(peap, ONE_X, "authMode").orElseThrow().getTextContent()).isEqualTo("user");
        assertThat(SafeXml.descendant(peap, "http://www.microsoft.com/provisioning/EapCommon", "Type").orElseThrow().getTextContent())
                .as("the outer method").isEqualTo("25");
        assertThat(SafeXml.descendant(peap, "http://www.microsoft.com/provisioning/MsChapV2ConnectionPropertiesV1", "UseWinLogonCredentials"))
                .as("MSCHAPv2 inside").isPresent();
    }

    @Test
    void anEnterpriseNetworkIsPinnedToTheNamedCaAndServerNamesSoWindowsAsksTheUserNothing() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair keys = generator.generateKeyPair();
        X509Certificate radiusCa = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                new X500Name("CN=RADIUS CA"), BigInteger.ONE, Date.from(Instant.now().minusSeconds(60)),
                Date.from(Instant.now().plus(Duration.ofDays(30))), new X500Name("CN=RADIUS CA"), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        Map<String, Object> caSetting = Map.of("kind", "TRUSTED_ROOT", "name", "radius-ca",
                "data", Base64.getEncoder().encodeToString(radiusCa.getEncoded()));
        String thumbprint = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(radiusCa.getEncoded()));
        Function<String, Optional<Map<String, Object>>> certificates = name -> name.equals("radius-ca") ? Optional.of(caSetting)
                : name.equals("wifi-identity") ? Optional.of(Map.of("kind", "PKCS12_IDENTITY", "name", "wifi-identity")) : Optional.empty();

        for (String method : List.of("TLS", "PEAP")) {
            Map<String, Object> value = new HashMap<>(Map.of("ssid", "Secure", "security", "WPA2_ENTERPRISE", "eapMethod", method,
                    "serverCertificates", List.of("radius-ca"), "serverNames", List.of("radius1.example.com", "radius2.example.com")));
            if (method.equals("TLS")) {
                value.put("certificate", "wifi-identity");
            }
            Element profile = SafeXml.parse(SettingCsps.install("wifi/Secure", "wifi", value, url -> Optional.empty(), certificates)
                    .get(0).data().orElseThrow()).getDocumentElement();
            String namespace = method.equals("TLS") ? "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV1"
                    : "http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV1";
            Element validation = SafeXml.descendant(profile, namespace, "ServerValidation").orElseThrow();
            assertThat(SafeXml.childText(validation, namespace, "DisableUserPromptForServerValidation")).as(method).hasValue("true");
            assertThat(SafeXml.childText(validation, namespace, "ServerNames")).as(method).hasValue("radius1.example.com;radius2.example.com");
            assertThat(SafeXml.childText(validation, namespace, "TrustedRootCA")).as(method)
                    .hasValueSatisfying(pinned -> assertThat(pinned.replace(" ", "")).isEqualTo(thumbprint));
        }
        Element peap = SafeXml.parse(SettingCsps.install("wifi/Secure", "wifi", Map.of("ssid", "Secure", "security", "WPA2_ENTERPRISE",
                "eapMethod", "PEAP", "serverCertificates", List.of("radius-ca"), "serverNames", List.of("radius1.example.com")),
                url -> Optional.empty(), certificates).get(0).data().orElseThrow()).getDocumentElement();
        assertThat(SafeXml.descendant(peap, "http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV2", "AcceptServerName")
                .orElseThrow().getTextContent()).as("PEAP checks the name too").isEqualTo("true");

        Element unpinned = profile(Map.of("ssid", "Staff", "security", "WPA2_ENTERPRISE", "eapMethod", "PEAP"));
        assertThat(SafeXml.descendant(unpinned, "http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV1",
                "DisableUserPromptForServerValidation").orElseThrow().getTextContent()).as("nothing named: the user decides").isEqualTo("false");
        assertThatThrownBy(() -> SettingCsps.install("wifi/Secure", "wifi", Map.of("ssid", "Secure", "security", "WPA2_ENTERPRISE",
                "eapMethod", "PEAP", "serverCertificates", List.of("unknown-ca")), url -> Optional.empty(), certificates))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("'unknown-ca' is not a certificate setting");
        assertThatThrownBy(() -> SettingCsps.install("wifi/Secure", "wifi", Map.of("ssid", "Secure", "security", "WPA2_ENTERPRISE",
                "eapMethod", "TLS", "certificate", "wifi-identity", "serverCertificates", List.of("wifi-identity")), url -> Optional.empty(), certificates))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("TRUSTED_ROOT");
    }

    @Test
    void removingANetworkDeletesItsProfile() {
        assertThat(SettingCsps.remove("wifi/Corp", "wifi", Map.of("ssid", "Corp", "security", "NONE")))
                .containsExactly(CspOperation.delete("./Device/Vendor/MSFT/WiFi/Profile/Corp/WlanXml"));
    }

    @Test
    void aChangedNetworkIsDeletedAndAddedAgainInOrder() {
        List<CspOperation> operations = SettingCsps.change("wifi/Corp", "wifi", Map.of("ssid", "Corp", "security", "NONE"),
                Map.of("ssid", "Corp", "security", "WPA2_PERSONAL", "password", "new password"), url -> Optional.empty());
        assertThat(operations).extracting(CspOperation::verb).containsExactly("Delete", "Add");
        assertThat(operations).extracting(CspOperation::locUri).containsOnly("./Device/Vendor/MSFT/WiFi/Profile/Corp/WlanXml");
    }

    @Test
    void whatWindowsCannotExpressIsRefusedWithAReason() {
        assertThatThrownBy(() -> profile(Map.of("ssid", "P", "security", "NONE", "proxyUrl", "http://proxy/wpad.dat")))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("per-network proxy");
        assertThatThrownBy(() -> profile(Map.of("ssid", "T", "security", "WPA2_ENTERPRISE", "eapMethod", "TTLS")))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("EAP-TTLS");
        assertThatThrownBy(() -> profile(Map.of("ssid", "I", "security", "WPA2_ENTERPRISE", "eapMethod", "PEAP", "identity", "alice")))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("identity");
    }

    private static Element profile(Map<String, Object> value) {
        return SafeXml.parse(SettingCsps.install("wifi/" + value.get("ssid"), "wifi", value).get(0).data().orElseThrow()).getDocumentElement();
    }
}
