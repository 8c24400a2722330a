package dev.shepherd.plugins.windows.enrollment;

import dev.shepherd.plugins.windows.xml.SafeXml;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The {@code wap-provisioningdoc} an enrollment answer carries (MS-MDE2): the roots the client must trust, its new
 * client certificate, the {@code w7} APPLICATION characteristic that points the DM client at the management service
 * and tells it to present that certificate, and the DMClient provider with its polling schedule (and push, when WNS
 * is configured).
 *
 * @param trustedRoots the kernel CA (which issued the client certificate) and, when self-signed, the server's TLS root
 * @param clientCertificate the certificate just issued
 * @param deviceName the device's name, the enterprise's name for it on the client
 * @param enterpriseDeviceId the server's id for the device (DMClient EntDMID), which renewal needs set
 * @param deviceEnrollment whether the whole device enrolled (certificate in the machine store) rather than a user
 * @param managementUrl where sessions go
 * @param providerId the DM provider id, the same in w7 and DMClient
 * @param organization shown to the user as the management provider's name
 * @param pollMinutes how often the client polls once past its first retries
 * @param pushPackageFamilyName the WNS package family name for MDM push, when configured
 */
public record ProvisioningDocument(List<X509Certificate> trustedRoots, X509Certificate clientCertificate, String deviceName,
                                   String enterpriseDeviceId, boolean deviceEnrollment,
                                   String managementUrl, String providerId, String organization, int pollMinutes,
                                   Optional<String> pushPackageFamilyName) {

    /** The DM provider id of this server, in w7 PROVIDER-ID and under DMClient/Provider. */
    public static final String PROVIDER_ID = "Shepherd";

    public ProvisioningDocument {
        trustedRoots = List.copyOf(requireNonNull(trustedRoots, "trustedRoots is null"));
        requireNonNull(clientCertificate, "clientCertificate is null");
        requireNonNull(deviceName, "deviceName is null");
        requireNonNull(enterpriseDeviceId, "enterpriseDeviceId is null");
        requireNonNull(managementUrl, "managementUrl is null");
        requireNonNull(providerId, "providerId is null");
        requireNonNull(organization, "organization is null");
        requireNonNull(pushPackageFamilyName, "pushPackageFamilyName is null");
    }

    /** @return the document, as the client reads it */
    public String xml() {
        String store = deviceEnrollment ? "System" : "User";
        StringBuilder xml = new StringBuilder("<wap-provisioningdoc version=\"1.1\">");
        Set<String> thumbprints = new LinkedHashSet<>();
        for (X509Certificate root : trustedRoots) {
            String thumbprint = thumbprint(root);
            if (thumbprints.add(thumbprint)) {
                xml.append("<characteristic type=\"CertificateStore\"><characteristic type=\"Root\"><characteristic type=\"System\">")
                        .append("<characteristic type=\"").append(thumbprint).append("\">")
                        .append(parm("EncodedCertificate", base64(root)))
                        .append("</characteristic></characteristic></characteristic></characteristic>");
            }
        }
        xml.append("<characteristic type=\"CertificateStore\"><characteristic type=\"My\"><characteristic type=\"").append(store).append("\">")
                .append("<characteristic type=\"").append(thumbprint(clientCertificate)).append("\">")
                .append(parm("EncodedCertificate", base64(clientCertificate)))
                .append("</characteristic><characteristic type=\"PrivateKeyContainer\"/></characteristic>")
                // The client renews on its own (ROBO) in the last fifth of the certificate's life, retrying every few days.
                .append("<characteristic type=\"WSTEP\"><characteristic type=\"Renew\">")
                .append(typed("ROBOSupport", "true", "boolean"))
                .append(typed("RenewPeriod", Long.toString(renewPeriodDays()), "integer"))
                .append(typed("RetryInterval", "4", "integer"))
                .append("</characteristic></characteristic></characteristic></characteristic>");
        // The client finds its certificate for TLS by subject in the store it was put in.
        String search = "Subject=" + URLEncoder.encode(clientCertificate.getSubjectX500Principal().getName(), StandardCharsets.UTF_8)
                + "&Stores=My%5C" + store;
        xml.append("<characteristic type=\"APPLICATION\">")
                .append(parm("APPID", "w7"))
                .append(parm("PROVIDER-ID", providerId))
                .append(parm("NAME", organization))
                .append(parm("ADDR", managementUrl))
                .append(parm("CONNRETRYFREQ", "6"))
                .append(parm("INITIALBACKOFFTIME", "30000"))
                .append(parm("MAXBACKOFFTIME", "120000"))
                .append("<parm name=\"BACKCOMPATRETRYDISABLED\"/>")
                .append(parm("DEFAULTENCODING", "application/vnd.syncml.dm+xml"))
                .append(parm("SSLCLIENTCERTSEARCHCRITERIA", search))
                .append("</characteristic>");
        xml.append("<characteristic type=\"DMClient\"><characteristic type=\"Provider\"><characteristic type=\"")
                .append(SafeXml.escape(providerId)).append("\">")
                .append(typed("EntDMID", enterpriseDeviceId, "string"))
                .append(typed("EntDeviceName", deviceName, "string"))
                .append("<characteristic type=\"Poll\">")
                .append(typed("NumberOfFirstRetries", "8", "integer"))
                .append(typed("IntervalForFirstSetOfRetries", "15", "integer"))
                .append(typed("NumberOfSecondRetries", "5", "integer"))
                .append(typed("IntervalForSecondSetOfRetries", "3", "integer"))
                .append(typed("NumberOfRemainingScheduledRetries", "0", "integer"))
                .append(typed("IntervalForRemainingScheduledRetries", Integer.toString(pollMinutes), "integer"))
                .append(typed("PollOnLogin", "true", "boolean"))
                .append("</characteristic>");
        pushPackageFamilyName.ifPresent(pfn -> xml.append("<characteristic type=\"Push\">").append(typed("PFN", pfn, "string"))
                .append("</characteristic>"));
        xml.append("</characteristic></characteristic></characteristic></wap-provisioningdoc>");
        return xml.toString();
    }

    private long renewPeriodDays() {
        long lifetimeDays = Duration.between(clientCertificate.getNotBefore().toInstant(),
                clientCertificate.getNotAfter().toInstant()).toDays();
        return Math.max(1, lifetimeDays / 5);
    }

    /** The SHA-1 thumbprint Windows names certificates by in its stores, upper-case hex. */
    public static String thumbprint(X509Certificate certificate) {
        try {
            return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-1").digest(certificate.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String base64(X509Certificate certificate) {
        try {
            return Base64.getEncoder().encodeToString(certificate.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String parm(String name, String value) {
        return "<parm name=\"" + SafeXml.escape(name) + "\" value=\"" + SafeXml.escape(value) + "\"/>";
    }

    private static String typed(String name, String value, String datatype) {
        return "<parm name=\"" + SafeXml.escape(name) + "\" value=\"" + SafeXml.escape(value) + "\" datatype=\"" + datatype + "\"/>";
    }
}
