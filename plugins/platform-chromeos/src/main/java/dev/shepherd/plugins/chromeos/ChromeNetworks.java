package dev.shepherd.plugins.chromeos;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Compiles Wi-Fi, VPN and certificate settings into what the Chrome Policy API's networks methods define on an org
 * unit: {@code networks:defineNetwork} (a name and {@code chrome.networks.wifi.*} or {@code chrome.networks.vpn.*}
 * settings) and {@code networks:defineCertificate} (a CA certificate's PEM). Unlike policy values these are objects
 * Google names with a generated id, which removing or replacing them needs.
 *
 * <p>A network ChromeOS cannot express in full is refused whole, naming what it lacks: joining a network without its
 * proxy or EAP method would be a different network, not part of one.
 */
public final class ChromeNetworks {

    /** The setting types defined through the networks methods. */
    public static final Set<String> TYPES = Set.of("wifi", "vpn", "certificate");

    /** One network setting as defineNetwork takes it, and as its response echoes it. */
    public record NetworkSetting(String policySchema, Map<String, Object> value) {
        /** Validates and copies every part. */
        public NetworkSetting {
            requireNonNull(policySchema, "policySchema is null");
            value = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(value, "value is null")));
        }
    }

    /** What a setting defines on an org unit. */
    public sealed interface Definition permits Network, Certificate {
    }

    /**
     * A Wi-Fi or VPN network for defineNetwork.
     *
     * @param name the network's name at Google
     * @param settings its settings, the {@code Details} one first
     */
    public record Network(String name, List<NetworkSetting> settings) implements Definition {
        /** Validates and copies every part. */
        public Network {
            requireNonNull(name, "name is null");
            settings = List.copyOf(requireNonNull(settings, "settings is null"));
        }
    }

    /**
     * A CA certificate for defineCertificate.
     *
     * @param name its name at Google
     * @param pem the certificate in PEM
     * @param settings where it is trusted ({@code chrome.networks.certificates.*})
     */
    public record Certificate(String name, String pem, List<NetworkSetting> settings) implements Definition {
        /** Validates and copies every part. */
        public Certificate {
            requireNonNull(name, "name is null");
            requireNonNull(pem, "pem is null");
            settings = List.copyOf(requireNonNull(settings, "settings is null"));
        }
    }

    private ChromeNetworks() {
    }

    /**
     * Compiles one setting.
     *
     * @param type {@code wifi}, {@code vpn} or {@code certificate}
     * @param value the setting's value, valid against the type's schema
     * @return what to define
     * @throws IllegalArgumentException naming what ChromeOS or this plugin cannot express
     */
    public static Definition compile(String type, Map<String, Object> value) {
        requireNonNull(type, "type is null");
        requireNonNull(value, "value is null");
        return switch (type) {
            case "wifi" -> wifi(value);
            case "vpn" -> vpn(value);
            case "certificate" -> certificate(value);
            default -> throw new IllegalArgumentException("ChromeOS has no network equivalent of the setting type " + type);
        };
    }

    private static Network wifi(Map<String, Object> value) {
        List<String> refused = new ArrayList<>();
        String security = String.valueOf(value.get("security"));
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("ssid", value.get("ssid"));
        switch (security) {
            case "NONE" -> details.put("security", "None");
            // ChromeOS's one pre-shared-key security, which it also uses to join WPA3 (SAE) networks.
            case "WPA2_PERSONAL", "WPA3_PERSONAL" -> {
                details.put("security", "WPA-PSK");
                details.put("passphrase", value.get("password"));
            }
            default -> refused.add("security " + security + ": this plugin does not define EAP networks at Google "
                    + "(their EAP fields in chrome.networks.wifi.Details and the client certificate they reference are not mapped)");
        }
        details.put("hiddenSsid", Boolean.TRUE.equals(value.get("hidden")));
        details.put("automaticallyConnect", !Boolean.FALSE.equals(value.get("autoJoin")));
        if (value.get("proxyUrl") != null) {
            refused.add("proxyUrl: this plugin sets no proxy auto-configuration in chrome.networks.wifi.Details");
        }
        refuse("Wi-Fi network " + value.get("ssid"), refused);
        return new Network(String.valueOf(value.get("ssid")), List.of(
                new NetworkSetting("chrome.networks.wifi.Details", Map.of("details", details)),
                new NetworkSetting("chrome.networks.wifi.AllowForChromeDevices", Map.of("allowForChromeDevices", true)),
                new NetworkSetting("chrome.networks.wifi.AllowForChromeUsers", Map.of("allowForChromeUsers", true))));
    }

    private static Network vpn(Map<String, Object> value) {
        List<String> refused = new ArrayList<>();
        String type = String.valueOf(value.get("type"));
        if (!type.equals("L2TP")) {
            refused.add("type " + type + ": this plugin defines only L2TP/IPsec VPNs at Google");
        }
        if (value.get("certificate") != null) {
            refused.add("certificate: this plugin does not reference client certificates in chrome.networks.vpn.Details");
        }
        if (Boolean.TRUE.equals(value.get("alwaysOn"))) {
            refused.add("alwaysOn: ChromeOS's always-on VPN is a user policy for Android VPN apps, not a network setting");
        }
        if (value.get("onDemandDomains") instanceof List<?> domains && !domains.isEmpty()) {
            refused.add("onDemandDomains: ChromeOS has no VPN on demand");
        }
        refuse("VPN " + value.get("name"), refused);
        // chrome.networks.vpn.Details as Google publishes it: the pre-shared key beside the host, the L2TP user in its own message.
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("name", value.get("name"));
        details.put("remoteHost", value.get("server"));
        details.put("vpnType", "L2TP-IPsec");
        if (value.get("sharedSecret") != null) {
            details.put("psk", value.get("sharedSecret"));
        }
        if (value.get("username") != null) {
            details.put("layerTwoTunnelingProtocol", Map.of("username", value.get("username")));
        }
        return new Network(String.valueOf(value.get("name")), List.of(
                new NetworkSetting("chrome.networks.vpn.Details", Map.of("details", details)),
                new NetworkSetting("chrome.networks.vpn.AllowForChromeDevices", Map.of("allowForChromeDevices", true)),
                new NetworkSetting("chrome.networks.vpn.AllowForChromeUsers", Map.of("allowForChromeUsers", true))));
    }

    private static Certificate certificate(Map<String, Object> value) {
        String kind = String.valueOf(value.get("kind"));
        if (!kind.equals("TRUSTED_ROOT")) {
            throw new IllegalArgumentException("certificate " + value.get("name") + " (" + kind + "): the Chrome Policy API takes only CA "
                    + "certificates (defineCertificate: a .PEM, .CRT or .CER file); ChromeOS gets client identities from a certificate "
                    + "provisioning extension or Google's certificate connector, which this plugin does not drive");
        }
        // Google publishes chrome.networks.certificates.AllowForChromeDevices (and one for the Imprivata app), no users'
        // schema: a certificate defined on an org unit is its users'; allowing it for devices extends it to the device.
        return new Certificate(String.valueOf(value.get("name")), pem(String.valueOf(value.get("data"))), List.of(
                new NetworkSetting("chrome.networks.certificates.AllowForChromeDevices", Map.of("allowForChromeDevices", true))));
    }

    /** Google wants the file's text; the kernel carries the certificate base64, as DER or as PEM. */
    static String pem(String base64) {
        byte[] bytes;
        try {
            bytes = Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the certificate's data is not base64");
        }
        String text = new String(bytes, StandardCharsets.US_ASCII);
        if (text.startsWith("-----BEGIN CERTIFICATE-----")) {
            return text;
        }
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(bytes)
                + "\n-----END CERTIFICATE-----\n";
    }

    private static void refuse(String what, List<String> refused) {
        if (!refused.isEmpty()) {
            throw new IllegalArgumentException(what + " cannot be defined on ChromeOS: " + String.join("; ", refused));
        }
    }
}
