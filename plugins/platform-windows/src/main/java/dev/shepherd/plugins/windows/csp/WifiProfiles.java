package dev.shepherd.plugins.windows.csp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static dev.shepherd.plugins.windows.csp.SettingCsps.bool;
import static dev.shepherd.plugins.windows.csp.SettingCsps.required;
import static dev.shepherd.plugins.windows.csp.SettingCsps.text;
import static dev.shepherd.plugins.windows.csp.SettingCsps.texts;
import static dev.shepherd.plugins.windows.xml.SafeXml.escape;

/**
 * The {@code wifi} setting as a WiFi CSP profile: one {@code WlanXml} node holding a WLAN_profile document. The
 * profile's name is the SSID, as the CSP requires the node name and the profile's {@code name} to match.
 */
final class WifiProfiles {

    static final String NAMESPACE = "http://www.microsoft.com/networking/WLAN/profile/v1";
    private static final String ONE_X = "http://www.microsoft.com/networking/OneX/v1";

    private WifiProfiles() {
    }

    static String node(String ssid) {
        return Nodes.DEVICE + "WiFi/Profile/" + Nodes.segment(ssid) + "/WlanXml";
    }

    /**
     * The WiFi CSP takes Add for a new profile; Replace works only on one that exists.
     *
     * @param certificates the device's certificate setting of a name, for the CAs {@code serverCertificates} names
     */
    static List<CspOperation> install(Map<String, Object> value, Function<String, Optional<Map<String, Object>>> certificates) {
        String ssid = required(value, "ssid");
        return List.of(CspOperation.add(node(ssid), "chr", wlanProfile(value, certificates)));
    }

    /** Deleting the WlanXml node removes the whole profile, as the CSP documents. */
    static List<CspOperation> remove(Map<String, Object> installedValue) {
        return List.of(CspOperation.delete(node(required(installedValue, "ssid"))));
    }

    static String wlanProfile(Map<String, Object> value) {
        return wlanProfile(value, name -> Optional.empty());
    }

    static String wlanProfile(Map<String, Object> value, Function<String, Optional<Map<String, Object>>> certificates) {
        String ssid = required(value, "ssid");
        if (text(value, "proxyUrl").isPresent()) {
            // The CSP's per-network proxy nodes are for Windows Mobile; desktop editions fail the whole profile.
            throw new UnsupportedSettingException("Windows has no per-network proxy for Wi-Fi on PCs (the WiFi CSP's ProxyPacUrl "
                    + "is for Windows Mobile and fails on desktop editions); remove proxyUrl for Windows");
        }
        String security = required(value, "security");
        boolean hidden = bool(value, "hidden").orElse(false);
        boolean autoJoin = bool(value, "autoJoin").orElse(true);
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\"?>");
        xml.append("<WLANProfile xmlns=\"").append(NAMESPACE).append("\">");
        xml.append("<name>").append(escape(ssid)).append("</name>");
        // The hex form carries the SSID's exact bytes, so names outside ASCII match the network.
        xml.append("<SSIDConfig><SSID><hex>").append(HexFormat.of().withUpperCase().formatHex(ssid.getBytes(StandardCharsets.UTF_8)))
                .append("</hex><name>").append(escape(ssid)).append("</name></SSID>");
        xml.append("<nonBroadcast>").append(hidden).append("</nonBroadcast></SSIDConfig>");
        xml.append("<connectionType>ESS</connectionType>");
        xml.append("<connectionMode>").append(autoJoin ? "auto" : "manual").append("</connectionMode>");
        xml.append("<MSM><security>").append(security(security, value, certificates)).append("</security></MSM>");
        xml.append("</WLANProfile>");
        return xml.toString();
    }

    private static String security(String security, Map<String, Object> value,
                                   Function<String, Optional<Map<String, Object>>> certificates) {
        return switch (security) {
            case "NONE" -> authEncryption("open", "none", false);
            case "WPA2_PERSONAL" -> authEncryption("WPA2PSK", "AES", false) + sharedKey(value);
            case "WPA3_PERSONAL" -> authEncryption("WPA3SAE", "AES", false) + sharedKey(value);
            case "WPA2_ENTERPRISE" -> authEncryption("WPA2", "AES", true) + oneX(value, certificates);
            case "WPA3_ENTERPRISE" -> authEncryption("WPA3ENT", "AES", true) + oneX(value, certificates);
            default -> throw new UnsupportedSettingException("Windows has no Wi-Fi security " + security);
        };
    }

    private static String authEncryption(String authentication, String encryption, boolean oneX) {
        return "<authEncryption><authentication>" + authentication + "</authentication><encryption>" + encryption
                + "</encryption><useOneX>" + oneX + "</useOneX></authEncryption>";
    }

    /** The passphrase goes in as plain text, as the CSP asks; Windows encrypts it when it stores the profile. */
    private static String sharedKey(Map<String, Object> value) {
        String password = text(value, "password").orElseThrow(() -> new UnsupportedSettingException("a personal Wi-Fi network needs its password"));
        // keyType and protected must come before keyMaterial.
        return "<sharedKey><keyType>passPhrase</keyType><protected>false</protected><keyMaterial>" + escape(password)
                + "</keyMaterial></sharedKey>";
    }

    private static String oneX(Map<String, Object> value, Function<String, Optional<Map<String, Object>>> certificates) {
        String method = text(value, "eapMethod").orElseThrow(() -> new UnsupportedSettingException("an enterprise Wi-Fi network needs its EAP method"));
        if (text(value, "clientKeyAlias").isPresent()) {
            throw new UnsupportedSettingException("clientKeyAlias names an Android key pair; Windows takes the client identity "
                    + "from the certificate setting named in certificate");
        }
        if (text(value, "identity").isPresent()) {
            throw new UnsupportedSettingException("Windows takes the EAP identity from the certificate (TLS) or asks the user (PEAP); "
                    + "a preset identity cannot be expressed, remove it for Windows");
        }
        EapConfigs.ServerValidation validation = serverValidation(value, certificates);
        String eap = switch (method) {
            case "TLS" -> EapConfigs.tls(validation);
            case "PEAP" -> {
                if (text(value, "certificate").isPresent()) {
                    throw new UnsupportedSettingException("PEAP on Windows signs in with a name and password; a client certificate "
                            + "is used with eapMethod TLS");
                }
                yield EapConfigs.peapMschapv2(validation);
            }
            default -> throw new UnsupportedSettingException("Shepherd does not configure EAP-" + method + " on Windows; use TLS or PEAP");
        };
        // Certificates from the certificate setting sit in the device's store, which machine authentication reaches too.
        String authMode = method.equals("TLS") ? "machineOrUser" : "user";
        return "<OneX xmlns=\"" + ONE_X + "\"><authMode>" + authMode + "</authMode><EAPConfig>" + eap + "</EAPConfig></OneX>";
    }

    /**
     * The RADIUS server the device may trust: {@code serverCertificates} name trusted-root certificate settings of the
     * device's policy, pinned by SHA-1 thumbprint ({@code TrustedRootCA}); {@code serverNames} are the names its
     * certificate must carry ({@code ServerNames}). With both, Windows connects to no other server and asks the user
     * nothing; a name it cannot resolve refuses the setting rather than leave the network unpinned.
     */
    private static EapConfigs.ServerValidation serverValidation(Map<String, Object> value,
                                                                Function<String, Optional<Map<String, Object>>> certificates) {
        List<String> thumbprints = new ArrayList<>();
        for (String name : texts(value, "serverCertificates")) {
            Map<String, Object> certificate = certificates.apply(name).orElseThrow(() -> new UnsupportedSettingException(
                    "the server CA '" + name + "' is not a certificate setting of the device's policy"));
            if (!"TRUSTED_ROOT".equals(certificate.get("kind"))) {
                throw new UnsupportedSettingException("the server CA '" + name + "' is a " + certificate.get("kind")
                        + " certificate setting; a RADIUS server is pinned to a TRUSTED_ROOT one");
            }
            thumbprints.add(CertificateCsps.thumbprint(CertificateCsps.x509(required(certificate, "data"))));
        }
        return new EapConfigs.ServerValidation(texts(value, "serverNames"), thumbprints);
    }
}
