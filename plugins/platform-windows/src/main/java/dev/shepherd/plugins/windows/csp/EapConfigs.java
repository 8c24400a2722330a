package dev.shepherd.plugins.windows.csp;

/**
 * EAP method configurations ({@code EapHostConfig} XML) for Wi-Fi and VPN profiles, as Microsoft's EAP configuration
 * reference lays them out. Server validation is left to the user's prompt: the settings name no RADIUS server or
 * its CA, so pinning one is not possible. Client certificates are chosen by Windows from the device's store
 * ({@code SimpleCertSelection}), which is where the certificate setting put them.
 */
final class EapConfigs {

    /** EAP type numbers from IANA's registry, as Windows uses them. */
    static final int TLS = 13;
    static final int PEAP = 25;
    static final int MSCHAPV2 = 26;

    private static final String HOST = "http://www.microsoft.com/provisioning/EapHostConfig";
    private static final String COMMON = "http://www.microsoft.com/provisioning/EapCommon";
    private static final String BASE = "http://www.microsoft.com/provisioning/BaseEapConnectionPropertiesV1";

    private EapConfigs() {
    }

    /** EAP-TLS with a client certificate from the device's certificate store. */
    static String tls() {
        return host(TLS, tlsMethod());
    }

    /** PEAP with EAP-MSCHAPv2 inside: the user signs in with a name and password when first connecting. */
    static String peapMschapv2() {
        String peap = "<Eap xmlns=\"" + BASE + "\"><Type>" + PEAP + "</Type>"
                + "<EapType xmlns=\"http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV1\">"
                + serverValidation()
                + "<FastReconnect>true</FastReconnect><InnerEapOptional>false</InnerEapOptional>"
                + mschapv2Method()
                + "<EnableQuarantineChecks>false</EnableQuarantineChecks><RequireCryptoBinding>false</RequireCryptoBinding>"
                + "<PeapExtensions>"
                + "<PerformServerValidation xmlns=\"http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV2\">true</PerformServerValidation>"
                + "<AcceptServerName xmlns=\"http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV2\">false</AcceptServerName>"
                + "</PeapExtensions></EapType></Eap>";
        return host(PEAP, peap);
    }

    /** EAP-MSCHAPv2 on its own, as IKEv2 carries a user name and password. */
    static String mschapv2() {
        return host(MSCHAPV2, mschapv2Method());
    }

    private static String tlsMethod() {
        return "<Eap xmlns=\"" + BASE + "\"><Type>" + TLS + "</Type>"
                + "<EapType xmlns=\"http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV1\">"
                + "<CredentialsSource><CertificateStore><SimpleCertSelection>true</SimpleCertSelection></CertificateStore></CredentialsSource>"
                + serverValidation()
                + "<DifferentUsername>false</DifferentUsername>"
                + "</EapType></Eap>";
    }

    private static String mschapv2Method() {
        return "<Eap xmlns=\"" + BASE + "\"><Type>" + MSCHAPV2 + "</Type>"
                + "<EapType xmlns=\"http://www.microsoft.com/provisioning/MsChapV2ConnectionPropertiesV1\">"
                + "<UseWinLogonCredentials>false</UseWinLogonCredentials></EapType></Eap>";
    }

    private static String serverValidation() {
        return "<ServerValidation><DisableUserPromptForServerValidation>false</DisableUserPromptForServerValidation>"
                + "<ServerNames></ServerNames></ServerValidation>";
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
