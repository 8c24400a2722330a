package dev.shepherd.plugins.windows.csp;

import dev.shepherd.plugins.windows.xml.SafeXml;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** VPN connections as VPNv2 CSP profiles: Windows' built-in client, the whole profile in one ProfileXML. */
class VpnCspsTest {

    private static final String EAP_COMMON = "http://www.microsoft.com/provisioning/EapCommon";

    @Test
    void anIkev2ConnectionSignsInWithEapMschapv2AndStartsForItsDomains() {
        List<CspOperation> operations = SettingCsps.install("vpn/Corp VPN", "vpn", Map.of("name", "Corp VPN", "type", "IKEV2",
                "server", "vpn.example.com", "alwaysOn", true, "onDemandDomains", List.of("corp.example.com", ".intra.example.com")));

        assertThat(operations).hasSize(1);
        CspOperation add = operations.get(0);
        assertThat(add.verb()).isEqualTo("Add");
        assertThat(add.locUri()).isEqualTo("./Device/Vendor/MSFT/VPNv2/Corp%20VPN/ProfileXML");
        assertThat(add.format()).hasValue("chr");
        Element profile = SafeXml.parse(add.data().orElseThrow()).getDocumentElement();
        assertThat(profile.getLocalName()).isEqualTo("VPNProfile");
        assertThat(SafeXml.childText(profile, null, "AlwaysOn")).hasValue("true");
        assertThat(SafeXml.childText(profile, null, "RememberCredentials")).hasValue("true");
        assertThat(SafeXml.children(profile, null, "DomainNameInformation")).extracting(
                rule -> SafeXml.childText(rule, null, "DomainName").orElseThrow() + " " + SafeXml.childText(rule, null, "AutoTrigger").orElseThrow())
                .as("a domain and its subdomains").containsExactly("corp.example.com true", ".corp.example.com true", ".intra.example.com true");
        Element nativeProfile = SafeXml.child(profile, null, "NativeProfile").orElseThrow();
        assertThat(SafeXml.childText(nativeProfile, null, "Servers")).hasValue("vpn.example.com");
        assertThat(SafeXml.childText(nativeProfile, null, "NativeProtocolType")).hasValue("IKEv2");
        assertThat(SafeXml.childText(nativeProfile, null, "RoutingPolicyType")).hasValue("ForceTunnel");
        Element authentication = SafeXml.child(nativeProfile, null, "Authentication").orElseThrow();
        assertThat(SafeXml.childText(authentication, null, "UserMethod")).hasValue("Eap");
        assertThat(SafeXml.descendant(authentication, EAP_COMMON, "Type").orElseThrow().getTextContent()).isEqualTo("26");
        // The XSD's order: profile-wide elements, then the name rules, then the native profile.
        assertThat(SafeXml.children(profile)).extracting(Element::getLocalName).containsExactly("RememberCredentials", "AlwaysOn",
                "DomainNameInformation", "DomainNameInformation", "DomainNameInformation", "NativeProfile");
    }

    @Test
    void l2tpCarriesItsPreSharedKeyAndMschapv2() {
        Element nativeProfile = nativeProfile(Map.of("name", "Branch", "type", "L2TP", "server", "203.0.113.7", "sharedSecret", "s3cret&<key>"));
        assertThat(SafeXml.childText(nativeProfile, null, "NativeProtocolType")).hasValue("L2TP");
        assertThat(SafeXml.childText(nativeProfile, null, "L2tpPsk")).hasValue("s3cret&<key>");
        assertThat(SafeXml.descendant(nativeProfile, null, "UserMethod").orElseThrow().getTextContent()).isEqualTo("MSChapv2");
    }

    @Test
    void sslIsSstpAndACertificateMeansEapTlsFromTheStore() {
        Element nativeProfile = nativeProfile(Map.of("name", "Remote", "type", "SSL", "server", "remote.example.com", "certificate", "vpn-identity"));
        assertThat(SafeXml.childText(nativeProfile, null, "NativeProtocolType")).hasValue("SSTP");
        assertThat(SafeXml.descendant(nativeProfile, null, "UserMethod").orElseThrow().getTextContent()).isEqualTo("Eap");
        assertThat(SafeXml.descendant(nativeProfile, EAP_COMMON, "Type").orElseThrow().getTextContent()).isEqualTo("13");
        assertThat(SafeXml.descendant(nativeProfile, "http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV1",
                "SimpleCertSelection").orElseThrow().getTextContent()).isEqualTo("true");
    }

    @Test
    void removingAConnectionDeletesTheWholeProfileAndAChangeSendsItAgain() {
        Map<String, Object> installed = Map.of("name", "Corp VPN", "type", "IKEV2", "server", "vpn.example.com");
        assertThat(SettingCsps.remove("vpn/Corp VPN", "vpn", installed)).containsExactly(CspOperation.delete("./Device/Vendor/MSFT/VPNv2/Corp%20VPN"));

        List<CspOperation> change = SettingCsps.change("vpn/Corp VPN", "vpn", installed,
                Map.of("name", "Corp VPN", "type", "IKEV2", "server", "vpn2.example.com"), url -> Optional.empty());
        assertThat(change).extracting(operation -> operation.verb() + " " + operation.locUri()).containsExactly(
                "Delete ./Device/Vendor/MSFT/VPNv2/Corp%20VPN", "Add ./Device/Vendor/MSFT/VPNv2/Corp%20VPN/ProfileXML");
        assertThat(change.get(1).data().orElseThrow()).contains("<Servers>vpn2.example.com</Servers>");
    }

    @Test
    void whatWindowsCannotExpressIsRefusedWithAReason() {
        assertThatThrownBy(() -> nativeProfile(Map.of("name", "WG", "type", "WIREGUARD", "server", "wg.example.com")))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("no built-in WireGuard client");
        assertThatThrownBy(() -> nativeProfile(Map.of("name", "Cisco", "type", "IPSEC", "server", "asa.example.com")))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("IKEv1");
        assertThatThrownBy(() -> nativeProfile(Map.of("name", "PSK", "type", "IKEV2", "server", "vpn.example.com", "sharedSecret", "x")))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("not a shared secret");
        assertThatThrownBy(() -> nativeProfile(Map.of("name", "U", "type", "L2TP", "server", "vpn.example.com", "username", "alice")))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("user name");
    }

    private static Element nativeProfile(Map<String, Object> value) {
        Element profile = SafeXml.parse(SettingCsps.install("vpn/" + value.get("name"), "vpn", value).get(0).data().orElseThrow())
                .getDocumentElement();
        return SafeXml.child(profile, null, "NativeProfile").orElseThrow();
    }
}
