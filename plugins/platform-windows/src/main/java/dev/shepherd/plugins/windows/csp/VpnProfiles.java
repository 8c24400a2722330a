package dev.shepherd.plugins.windows.csp;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.shepherd.plugins.windows.csp.SettingCsps.bool;
import static dev.shepherd.plugins.windows.csp.SettingCsps.required;
import static dev.shepherd.plugins.windows.csp.SettingCsps.text;
import static dev.shepherd.plugins.windows.xml.SafeXml.escape;

/**
 * The {@code vpn} setting as a VPNv2 CSP profile: the whole connection in one {@code ProfileXML} node, Windows'
 * built-in client ({@code NativeProfile}). The VPNv2 CSP asks for a changed profile to be deleted and sent again
 * whole rather than edited node by node, which is what {@link SettingCsps#change} does.
 */
final class VpnProfiles {

    private VpnProfiles() {
    }

    static String profileNode(String name) {
        return Nodes.DEVICE + "VPNv2/" + Nodes.segment(name);
    }

    static List<CspOperation> install(Map<String, Object> value) {
        return List.of(CspOperation.add(profileNode(required(value, "name")) + "/ProfileXML", "chr", profileXml(value)));
    }

    /** Deleting the profile's node removes the connection with everything in it. */
    static List<CspOperation> remove(Map<String, Object> installedValue) {
        return List.of(CspOperation.delete(profileNode(required(installedValue, "name"))));
    }

    static String profileXml(Map<String, Object> value) {
        String type = required(value, "type");
        String server = required(value, "server");
        Optional<String> sharedSecret = text(value, "sharedSecret");
        boolean certificate = text(value, "certificate").isPresent();
        if (text(value, "username").isPresent()) {
            throw new UnsupportedSettingException("Windows asks for the VPN user name when the user first connects; a preset "
                    + "username cannot be expressed in a VPNv2 profile, remove it for Windows");
        }
        String protocol = switch (type) {
            case "IKEV2" -> {
                if (sharedSecret.isPresent()) {
                    throw new UnsupportedSettingException("Windows' IKEv2 client authenticates with EAP or a certificate, not a "
                            + "shared secret; use L2TP for a pre-shared key");
                }
                yield "IKEv2";
            }
            case "L2TP" -> "L2TP";
            case "SSL" -> {
                if (sharedSecret.isPresent()) {
                    throw new UnsupportedSettingException("SSTP, Windows' built-in SSL VPN, has no shared secret");
                }
                yield "SSTP";
            }
            case "IPSEC" -> throw new UnsupportedSettingException("Windows' built-in VPN client has no IKEv1/Cisco IPsec; "
                    + "use IKEV2 or L2TP");
            case "WIREGUARD" -> throw new UnsupportedSettingException("Windows has no built-in WireGuard client, and the VPNv2 "
                    + "CSP configures only Windows' own protocols (IKEv2, L2TP, SSTP) and Store VPN plug-ins");
            default -> throw new UnsupportedSettingException("Windows has no VPN type " + type);
        };
        StringBuilder xml = new StringBuilder("<VPNProfile>");
        // Windows keeps what the user typed at the first connection, as the other platforms do.
        xml.append("<RememberCredentials>true</RememberCredentials>");
        if (bool(value, "alwaysOn").orElse(false)) {
            xml.append("<AlwaysOn>true</AlwaysOn>");
        }
        for (String domain : onDemandDomains(value)) {
            xml.append("<DomainNameInformation><DomainName>").append(escape(domain))
                    .append("</DomainName><AutoTrigger>true</AutoTrigger></DomainNameInformation>");
        }
        xml.append("<NativeProfile>");
        xml.append("<Servers>").append(escape(server)).append("</Servers>");
        // The setting names no routes, so all traffic goes through the tunnel.
        xml.append("<RoutingPolicyType>ForceTunnel</RoutingPolicyType>");
        xml.append("<NativeProtocolType>").append(protocol).append("</NativeProtocolType>");
        sharedSecret.ifPresent(psk -> xml.append("<L2tpPsk>").append(escape(psk)).append("</L2tpPsk>"));
        xml.append("<Authentication>");
        if (certificate) {
            // The client identity the certificate setting installed, chosen from the device's store.
            xml.append("<UserMethod>Eap</UserMethod><Eap><Configuration>").append(EapConfigs.tls()).append("</Configuration></Eap>");
        } else if (protocol.equals("IKEv2")) {
            // IKEv2 carries a user name and password only inside EAP.
            xml.append("<UserMethod>Eap</UserMethod><Eap><Configuration>").append(EapConfigs.mschapv2()).append("</Configuration></Eap>");
        } else {
            xml.append("<UserMethod>MSChapv2</UserMethod>");
        }
        xml.append("</Authentication>");
        xml.append("</NativeProfile>");
        xml.append("</VPNProfile>");
        return xml.toString();
    }

    /**
     * Name-resolution rules that start the VPN: a name is matched exactly unless it starts with a dot, so each domain
     * becomes a rule for itself and one for its subdomains, as on-demand domains mean on the other platforms.
     */
    private static Set<String> onDemandDomains(Map<String, Object> value) {
        Set<String> domains = new LinkedHashSet<>();
        if (value.get("onDemandDomains") instanceof List<?> list) {
            for (Object item : list) {
                if (item instanceof String domain && !domain.isBlank()) {
                    String trimmed = domain.trim();
                    if (trimmed.startsWith(".")) {
                        domains.add(trimmed);
                    } else {
                        domains.add(trimmed);
                        domains.add("." + trimmed);
                    }
                }
            }
        }
        return domains;
    }
}
