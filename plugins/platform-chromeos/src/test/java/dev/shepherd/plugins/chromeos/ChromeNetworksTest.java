package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How Wi-Fi, VPN and certificate settings become what Google's networks methods define on an org unit. */
class ChromeNetworksTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ChromePolicySchemas GOOGLE = ChromePolicySchemas.published();

    @Test
    void everyNetworkAndCertificateSettingIsOneGooglePublishes() {
        List<ChromeNetworks.Definition> definitions = List.of(
                ChromeNetworks.compile("wifi", Map.of("ssid", "Corp", "security", "WPA2_PERSONAL", "password", "correct horse", "hidden", true)),
                ChromeNetworks.compile("wifi", Map.of("ssid", "Guest", "security", "NONE", "autoJoin", false)),
                ChromeNetworks.compile("vpn", Map.of("name", "Office", "type", "L2TP", "server", "vpn.example.com", "username", "ana", "sharedSecret", "s3cret")),
                ChromeNetworks.compile("certificate", Map.of("name", "Corp Root", "kind", "TRUSTED_ROOT", "data", "MIIBCgIB")));
        for (ChromeNetworks.Definition definition : definitions) {
            List<ChromeNetworks.NetworkSetting> settings = definition instanceof ChromeNetworks.Network network
                    ? network.settings() : ((ChromeNetworks.Certificate) definition).settings();
            for (ChromeNetworks.NetworkSetting setting : settings) {
                assertThat(GOOGLE.check(setting.policySchema(), JSON.valueToTree(setting.value()), "settings"))
                        .as(setting.policySchema()).isEmpty();
            }
        }
    }

    @Test
    void aPersonalWifiIsAWpaPskNetworkForDevicesAndUsers() {
        ChromeNetworks.Network network = (ChromeNetworks.Network) ChromeNetworks.compile("wifi",
                Map.of("ssid", "Corp", "security", "WPA3_PERSONAL", "password", "correct horse", "hidden", true));
        assertThat(network.name()).isEqualTo("Corp");
        assertThat(network.settings()).containsExactly(
                new ChromeNetworks.NetworkSetting("chrome.networks.wifi.Details", Map.of("details", Map.of("ssid", "Corp",
                        "security", "WPA-PSK", "passphrase", "correct horse", "hiddenSsid", true, "automaticallyConnect", true))),
                new ChromeNetworks.NetworkSetting("chrome.networks.wifi.AllowForChromeDevices", Map.of("allowForChromeDevices", true)),
                new ChromeNetworks.NetworkSetting("chrome.networks.wifi.AllowForChromeUsers", Map.of("allowForChromeUsers", true)));
    }

    @Test
    void whatANetworkCannotBeDefinedWithRefusesItWhole() {
        assertThatThrownBy(() -> ChromeNetworks.compile("wifi", Map.of("ssid", "Corp", "security", "WPA2_ENTERPRISE", "eapMethod", "TLS",
                "proxyUrl", "https://proxy.example.com/wpad.dat")))
                .hasMessageStartingWith("Wi-Fi network Corp cannot be defined on ChromeOS: security WPA2_ENTERPRISE: this plugin does not define EAP")
                .hasMessageContaining("proxyUrl");
        assertThatThrownBy(() -> ChromeNetworks.compile("vpn", Map.of("name", "Office", "type", "WIREGUARD", "server", "vpn.example.com")))
                .hasMessage("VPN Office cannot be defined on ChromeOS: type WIREGUARD: this plugin defines only L2TP/IPsec VPNs at Google");
    }

    @Test
    void anL2tpVpnNamesItsRemoteHostItsL2tpUserAndThePreSharedKey() {
        ChromeNetworks.Network network = (ChromeNetworks.Network) ChromeNetworks.compile("vpn",
                Map.of("name", "Office", "type", "L2TP", "server", "vpn.example.com", "username", "ana", "sharedSecret", "s3cret"));
        assertThat(network.settings().get(0)).isEqualTo(new ChromeNetworks.NetworkSetting("chrome.networks.vpn.Details",
                Map.of("details", Map.of("name", "Office", "remoteHost", "vpn.example.com", "vpnType", "L2TP-IPsec", "psk", "s3cret",
                        "layerTwoTunnelingProtocol", Map.of("username", "ana")))));
    }

    @Test
    void aTrustedRootIsDefinedAsPemWhetherItCameAsDerOrPemAndClientIdentitiesAreRefused() {
        byte[] der = {0x30, (byte) 0x82, 0x01, 0x0a, 0x02, 0x01};
        ChromeNetworks.Certificate fromDer = (ChromeNetworks.Certificate) ChromeNetworks.compile("certificate",
                Map.of("name", "Corp Root", "kind", "TRUSTED_ROOT", "data", Base64.getEncoder().encodeToString(der)));
        assertThat(fromDer.pem()).isEqualTo("-----BEGIN CERTIFICATE-----\nMIIBCgIB\n-----END CERTIFICATE-----\n");
        assertThat(fromDer.settings()).extracting(ChromeNetworks.NetworkSetting::policySchema)
                .as("Google publishes no chrome.networks.certificates.AllowForChromeUsers")
                .isEqualTo(List.of("chrome.networks.certificates.AllowForChromeDevices"));
        String pem = "-----BEGIN CERTIFICATE-----\nMIIBCgIB\n-----END CERTIFICATE-----\n";
        assertThat(ChromeNetworks.pem(Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII)))).isEqualTo(pem);
        assertThatThrownBy(() -> ChromeNetworks.compile("certificate", Map.of("name", "Me", "kind", "PKCS12_IDENTITY", "data", "AA==")))
                .hasMessageContaining("the Chrome Policy API takes only CA certificates");
        assertThatThrownBy(() -> ChromeNetworks.compile("certificate", Map.of("name", "Me", "kind", "SCEP_IDENTITY")))
                .hasMessageContaining("SCEP_IDENTITY");
    }
}
