package dev.shepherd.plugins.windows.csp;

import java.util.List;
import java.util.Locale;

import static dev.shepherd.plugins.windows.xml.SafeXml.escape;

/**
 * EAP method configurations ({@code EapHostConfig} XML) for Wi-Fi and VPN profiles, as Microsoft's EAP configuration
 * reference lays them out (EapTlsConnectionPropertiesV1 and MsPeapConnectionPropertiesV1 schemas). The server is
 * validated as {@link ServerValidation} says: pinned to named CAs and server names, or left to the user's prompt when
 * the setting names none. Client certificates are chosen by Windows from the device's store
 * ({@code SimpleCertSelection}), which is where the certificate setting put them.
 */
final class EapConfigs {

    /**
     * Which RADIUS server the device may trust.
     *
     * @param serverNames names the server's certificate must carry ({@code ServerNames}, joined by semicolons)
     * @param trustedRootThumbprints SHA-1 thumbprints (hex) of the CAs the server's certificate must chain to
     *        ({@code TrustedRootCA}, one element each)
     */
    record ServerValidation(List<String> serverNames, List<String> trustedRootThumbprints) {
        static final ServerValidation PROMPT = new ServerValidation(List.of(), List.of());

        ServerValidation {
            serverNames = List.copyOf(serverNames);
            trustedRootThumbprints = List.copyOf(trustedRootThumbprints);
            for (String name : serverNames) {
                if (name.isBlank() || name.contains(";")) {
                    throw new UnsupportedSettingException("a server name for Windows is one name without ';': '" + name + "'");
                }
            }
        }

        /** Pinned to CAs and names, Windows refuses any other server itself instead of asking the user to trust it. */
        boolean pinned() {
            return !serverNames.isEmpty() && !trustedRootThumbprints.isEmpty();
        }

        String xml() {
            StringBuilder xml = new StringBuilder("<ServerValidation><DisableUserPromptForServerValidation>").append(pinned())
                    .append("</DisableUserPromptForServerValidation><ServerNames>")
                    .append(escape(String.join(";", serverNames))).append("</ServerNames>");
            for (String thumbprint : trustedRootThumbprints) {
                // As Windows writes it in the profiles it exports: lowercase bytes, separated by spaces.
                xml.append("<TrustedRootCA>").append(thumbprint.toLowerCase(Locale.ROOT).replaceAll("(..)(?!$)", "$1 "))
                        .append("</TrustedRootCA>");
            }
            return xml.append("</ServerValidation>").toString();
        }
    }

    /** EAP type numbers from IANA's registry, as Windows uses them. */
    static final int TLS = 13;
    static final int PEAP = 25;
    static final int MSCHAPV2 = 26;

    private static final String HOST = "http://www.microsoft.com/provisioning/EapHostConfig";
    private static final String COMMON = "http://www.microsoft.com/provisioning/EapCommon";
    private static final String BASE = "http://www.microsoft.com/provisioning/BaseEapConnectionPropertiesV1";

    private EapConfigs() {
    }

    /** EAP-TLS with a client certificate from the device's certificate store, the server left to the user's prompt. */
    static String tls() {
        return tls(ServerValidation.PROMPT);
    }

    /** EAP-TLS with a client certificate from the device's certificate store. */
    static String tls(ServerValidation validation) {
        return host(TLS, tlsMethod(validation));
    }

    /** PEAP with EAP-MSCHAPv2 inside: the user signs in with a name and password when first connecting. */
    static String peapMschapv2(ServerValidation validation) {
        String peap = "<Eap xmlns=\"" + BASE + "\"><Type>" + PEAP + "</Type>"
                + "<EapType xmlns=\"http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV1\">"
                + validation.xml()
                + "<FastReconnect>true</FastReconnect><InnerEapOptional>false</InnerEapOptional>"
                + mschapv2Method()
                + "<EnableQuarantineChecks>false</EnableQuarantineChecks><RequireCryptoBinding>false</RequireCryptoBinding>"
                + "<PeapExtensions>"
                + "<PerformServerValidation xmlns=\"http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV2\">true</PerformServerValidation>"
                + "<AcceptServerName xmlns=\"http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV2\">"
                + !validation.serverNames().isEmpty() + "</AcceptServerName>"
                + "</PeapExtensions></EapType></Eap>";
        return host(PEAP, peap);
    }

    /** EAP-MSCHAPv2 on its own, as IKEv2 carries a user name and password. */
    static String mschapv2() {
        return host(MSCHAPV2, mschapv2Method());
    }

    private static String tlsMethod(ServerValidation validation) {
        return "<Eap xmlns=\"" + BASE + "\"><Type>" + TLS + "</Type>"
                + "<EapType xmlns=\"http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV1\">"
                + "<CredentialsSource><CertificateStore><SimpleCertSelection>true</SimpleCertSelection></CertificateStore></CredentialsSource>"
                + validation.xml()
                + "<DifferentUsername>false</DifferentUsername>"
                + "</EapType></Eap>";
    }

    private static String mschapv2Method() {
        return "<Eap xmlns=\"" + BASE + "\"><Type>" + MSCHAPV2 + "</Type>"
                + "<EapType xmlns=\"http://www.microsoft.com/provisioning/MsChapV2ConnectionPropertiesV1\">"
                + "<UseWinLogonCredentials>false</UseWinLogonCredentials></EapType></Eap>";
    }

    private static String host(int type, String config) {
        return "<EapHostConfig xmlns=\"" + HOST + "\"><EapMethod>"
                + "<Type xmlns=\"" + COMMON + "\">" + type + "</Type>"
                + "<VendorId xmlns=\"" + COMMON + "\">0</VendorId>"
                + "<VendorType xmlns=\"" + COMMON + "\">0</VendorType>"
                + "<AuthorId xmlns=\"" + COMMON + "\">0</AuthorId>"
                + "</EapMethod><Config xmlns=\"" + HOST + "\">" + config + "</Config></EapHostConfig>";
    }
}
