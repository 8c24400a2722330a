package dev.shepherd.plugins.windows;

import dev.shepherd.plugins.windows.xml.SafeXml;
import dev.shepherd.testing.TestTls;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The enrollment half of a Windows PC, speaking MS-MDE2 as Windows' enrollment client does: discovery (GET, then
 * the SOAP Discover), the MS-XCEP certificate policy, a real RSA key pair and PKCS#10 request built to that policy,
 * the MS-WSTEP RequestSecurityToken with the device's AdditionalContext, and the provisioning document read back:
 * trusted roots, its certificate, the management address. Faults are returned as the client would show them.
 */
public final class WindowsEnrollmentClient {

    private static final String SOAP = "http://www.w3.org/2003/05/soap-envelope";
    private static final String WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";

    /** A SOAP fault as received. */
    public record Fault(int httpStatus, String code, String subcode, String errorType, String message) {
    }

    /** What enrollment left on the PC. */
    public record Enrolled(X509Certificate certificate, KeyPair keys, List<X509Certificate> trustedRoots, URI managementUrl,
                           String providerId, String certificateStore, Map<String, String> application, Map<String, String> poll,
                           String provisioningDocument) {
    }

    /** The outcome: enrolled, or the fault that stopped it. */
    public record Outcome(Optional<Enrolled> enrolled, Optional<Fault> fault) {
        public Enrolled orElseThrow() {
            return enrolled.orElseThrow(() -> new AssertionError("enrollment failed: " + fault.orElseThrow()));
        }
    }

    /** Where discovery said to go. */
    public record Discovered(String authPolicy, URI policyService, URI enrollmentService, Optional<URI> authenticationService) {
    }

    /**
     * The web authentication broker: Windows opens the sign-in page at this address and gets back what the page posts
     * to {@code appru} as {@code wresult}.
     */
    @FunctionalInterface
    public interface WebAuthenticationBroker {
        String signIn(URI pageWithAppruAndLoginHint) throws Exception;
    }

    /** The app id Windows' enrollment client gives the sign-in page as {@code appru}. */
    public static final String APPRU = "ms-app://windows.immersivecontrolpanel";

    private final String deviceId;
    private final String hardwareDeviceId;
    private final String deviceName;
    private HttpClient http;
    private int keySize = 2048;

    public WindowsEnrollmentClient(String deviceId, String deviceName) {
        this.deviceId = deviceId;
        this.hardwareDeviceId = UUID.nameUUIDFromBytes(deviceId.getBytes(StandardCharsets.UTF_8)).toString().replace("-", "").toUpperCase();
        this.deviceName = deviceName;
        this.http = HttpClient.newBuilder()
                // Before enrollment the PC trusts the server as the user does who typed its address.
                .sslContext(TestTls.trustingAnyServer()).build();
    }

    /**
     * From now on the PC presents this certificate over TLS (and trusts the roots its enrollment installed), as a PC
     * enrolling again while it still holds its current certificate does.
     */
    public WindowsEnrollmentClient presenting(Enrolled current) {
        this.http = HttpClient.newBuilder().sslContext(TestTls.identified(current.certificate(),
                current.keys().getPrivate(), current.trustedRoots().toArray(X509Certificate[]::new))).build();
        return this;
    }

    /** The next request uses a key of this size, whatever the policy asks: a misbehaving client. */
    public WindowsEnrollmentClient withKeySize(int bits) {
        this.keySize = bits;
        return this;
    }

    public String deviceId() {
        return deviceId;
    }

    /**
     * The subject a real Windows client puts into its requests: its DeviceID with a non-printable character, which a
     * CA that copied it would hand back in a certificate the PC could then not find by subject.
     */
    private String csrSubject() {
        return "CN=" + deviceId + "\u0001";
    }

    /** Reads the ms-device-enrollment: link an enrollment page offers: its server and token. */
    public static Map<String, String> deepLinkParameters(String page) {
        int start = page.indexOf("ms-device-enrollment:?");
        String link = page.substring(start + "ms-device-enrollment:?".length(), page.indexOf('"', start)).replace("&amp;", "&");
        Map<String, String> parameters = new LinkedHashMap<>();
        for (String pair : link.split("&")) {
            int equals = pair.indexOf('=');
            parameters.put(pair.substring(0, equals), URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
        }
        return parameters;
    }

    /** Enrolls as a user who typed an e-mail address and a password (a token or their work password). */
    public Outcome enroll(URI discoveryUrl, String email, String password) throws Exception {
        Discovery discovery = discover(discoveryUrl, email);
        if (discovery.fault().isPresent()) {
            return new Outcome(Optional.empty(), discovery.fault());
        }
        if (!discovery.where().authPolicy().equals("OnPremise")) {
            throw new AssertionError("discovery asked for " + discovery.where().authPolicy() + " authentication, not a password");
        }
        String security = "<wsse:Security s:mustUnderstand=\"1\"><wsse:UsernameToken u:Id=\"uuid-" + UUID.randomUUID() + "-1\">"
                + "<wsse:Username>" + SafeXml.escape(email) + "</wsse:Username><wsse:Password wsse:Type=\"http://docs.oasis-open.org/wss/"
                + "2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText\">" + SafeXml.escape(password)
                + "</wsse:Password></wsse:UsernameToken></wsse:Security>";
        return enrollWith(discovery.where(), security, "Full");
    }

    /**
     * Enrolls as a PC joining Microsoft Entra ID does (in the out-of-box experience, Autopilot, or Settings): the
     * discovery URL comes from the MDM application registered in Entra; discovery must answer {@code Federated}, whose
     * AuthenticationServiceUrl the PC skips; the access token Entra issued it for the MDM application goes, base64-encoded,
     * to the policy and enrollment services as a {@code urn:ietf:params:oauth:token-type:jwt} security token; the
     * enrollment is a device enrollment ({@code EnrollmentType} {@code Device}, certificate in the system store).
     *
     * @see <a href="https://learn.microsoft.com/en-us/windows/client-management/azure-active-directory-integration-with-mdm#enrollment-protocol-with-azure-ad">Enrollment
     *      protocol with Microsoft Entra ID</a>
     */
    public Outcome enrollEntraJoined(URI discoveryUrl, String userPrincipalName, String accessToken) throws Exception {
        Discovery discovery = discover(discoveryUrl, userPrincipalName);
        if (discovery.fault().isPresent()) {
            return new Outcome(Optional.empty(), discovery.fault());
        }
        if (!discovery.where().authPolicy().equals("Federated")) {
            throw new AssertionError("discovery answered " + discovery.where().authPolicy() + "; an Entra-joined PC needs Federated");
        }
        String security = "<wsse:Security s:mustUnderstand=\"1\"><wsse:BinarySecurityToken ValueType=\"urn:ietf:params:oauth:token-type:jwt\" "
                + "EncodingType=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#base64binary\">"
                + Base64.getEncoder().encodeToString(accessToken.getBytes(StandardCharsets.US_ASCII))
                + "</wsse:BinarySecurityToken></wsse:Security>";
        return enrollWith(discovery.where(), security, "Device");
    }

    /**
     * Enrolls as Windows does when discovery answers {@code Federated} (MS-MDE2 3.2): the broker signs the user in on
     * the page discovery named, and the token it brings back goes to the policy and enrollment services as a
     * {@code DeviceEnrollmentUserToken} in base64.
     */
    public Outcome enrollFederated(URI discoveryUrl, String email, WebAuthenticationBroker broker) throws Exception {
        Discovery discovery = discover(discoveryUrl, email);
        if (discovery.fault().isPresent()) {
            return new Outcome(Optional.empty(), discovery.fault());
        }
        Discovered where = discovery.where();
        if (!where.authPolicy().equals("Federated") || where.authenticationService().isEmpty()) {
            throw new AssertionError("discovery did not answer Federated with an AuthenticationServiceUrl");
        }
        String token = broker.signIn(URI.create(where.authenticationService().get() + "?appru=" + URLEncoder.encode(APPRU, StandardCharsets.UTF_8)
                + "&login_hint=" + URLEncoder.encode(email, StandardCharsets.UTF_8)));
        String security = "<wsse:Security s:mustUnderstand=\"1\"><wsse:BinarySecurityToken ValueType=\"http://schemas.microsoft.com/"
                + "5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentUserToken\" EncodingType=\"http://docs.oasis-open.org/wss/"
                + "2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#base64binary\">"
                + Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8)) + "</wsse:BinarySecurityToken></wsse:Security>";
        return enrollWith(where, security, "Full");
    }

    private record Discovery(Discovered where, Optional<Fault> fault) {
    }

    private Discovery discover(URI discoveryUrl, String email) throws Exception {
        HttpResponse<String> probe = http.send(HttpRequest.newBuilder(discoveryUrl).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (probe.statusCode() != 200) {
            throw new AssertionError("discovery GET answered " + probe.statusCode());
        }
        HttpResponse<String> discovered = post(discoveryUrl, envelope(
                "http://schemas.microsoft.com/windows/management/2012/01/enrollment/IDiscoveryService/Discover", discoveryUrl, "",
                "<Discover xmlns=\"http://schemas.microsoft.com/windows/management/2012/01/enrollment/\"><request "
                        + "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><EmailAddress>" + SafeXml.escape(email) + "</EmailAddress>"
                        + "<RequestVersion>4.0</RequestVersion><DeviceType>CIMClient_Windows</DeviceType>"
                        + "<ApplicationVersion>10.0.22631.2861</ApplicationVersion><OSEdition>4</OSEdition><AuthPolicies>"
                        + "<AuthPolicy>OnPremise</AuthPolicy><AuthPolicy>Federated</AuthPolicy></AuthPolicies></request></Discover>"));
        Optional<Fault> fault = fault(discovered);
        return new Discovery(fault.isPresent() ? null : discovered(discovered.body()), fault);
    }

    private Outcome enrollWith(Discovered where, String security, String enrollmentType) throws Exception {
        HttpResponse<String> policies = post(where.policyService(), envelope(
                "http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPolicies", where.policyService(), security,
                "<GetPolicies xmlns=\"http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy\"><client>"
                        + "<lastUpdate xsi:nil=\"true\"/><preferredLanguage xsi:nil=\"true\"/></client><requestFilter xsi:nil=\"true\"/>"
                        + "</GetPolicies>"));
        Optional<Fault> fault = fault(policies);
        if (fault.isPresent()) {
            return new Outcome(Optional.empty(), fault);
        }
        Document policy = SafeXml.parse(policies.body());
        int minimalKeyLength = Integer.parseInt(SafeXml.descendant(policy.getDocumentElement(), null, "minimalKeyLength")
                .orElseThrow().getTextContent().trim());
        String hashOid = SafeXml.descendant(policy.getDocumentElement(), null, "oID").flatMap(oid -> SafeXml.childText(oid, null, "value"))
                .orElseThrow();
        if (!hashOid.equals("2.16.840.1.101.3.4.2.1")) {
            throw new AssertionError("this client builds SHA-256 requests; the policy asks for " + hashOid);
        }

        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(keySize == 2048 ? Math.max(2048, minimalKeyLength) : keySize);
        KeyPair keys = generator.generateKeyPair();
        byte[] csr = new JcaPKCS10CertificationRequestBuilder(new X500Name(csrSubject()), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())).getEncoded();
        HttpResponse<String> enrolled = post(where.enrollmentService(), envelope(
                "http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RST/wstep", where.enrollmentService(), security,
                "<wst:RequestSecurityToken><wst:TokenType>http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/"
                        + "DeviceEnrollmentToken</wst:TokenType><wst:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue"
                        + "</wst:RequestType><wsse:BinarySecurityToken ValueType=\"http://schemas.microsoft.com/windows/pki/2009/01/"
                        + "enrollment#PKCS10\" EncodingType=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
                        + "#base64binary\">" + Base64.getEncoder().encodeToString(csr) + "</wsse:BinarySecurityToken>"
                        + "<ac:AdditionalContext xmlns=\"http://schemas.xmlsoap.org/ws/2006/12/authorization\">"
                        + context("UXInitiated", "true") + context("HWDevID", hardwareDeviceId) + context("Locale", "en-US")
                        + context("TargetedUserLoggedIn", "true") + context("OSEdition", "4") + context("DeviceName", deviceName)
                        + context("MAC", "00-15-5D-01-02-03") + context("DeviceID", deviceId) + context("EnrollmentType", enrollmentType)
                        + context("DeviceType", "CIMClient_Windows") + context("OSVersion", "10.0.22631.2861")
                        + context("ApplicationVersion", "10.0.22631.2861") + "</ac:AdditionalContext></wst:RequestSecurityToken>"));
        fault = fault(enrolled);
        if (fault.isPresent()) {
            return new Outcome(Optional.empty(), fault);
        }
        return new Outcome(Optional.of(provisioned(enrolled.body(), keys)), Optional.empty());
    }

    /**
     * Renews the certificate as Windows does on its own (ROBO): a new key pair, the PKCS#10 signed as PKCS#7 with the
     * current certificate, sent to the enrollment service over TLS authenticated by that certificate.
     *
     * @param signer the certificate and key that sign the request (normally the current ones)
     */
    public Outcome renew(Enrolled current, X509Certificate signerCertificate, PrivateKey signerKey) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair keys = generator.generateKeyPair();
        byte[] csr = new JcaPKCS10CertificationRequestBuilder(new X500Name(csrSubject()), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())).getEncoded();
        CMSSignedDataGenerator cms = new CMSSignedDataGenerator();
        cms.addSignerInfoGenerator(new JcaSimpleSignerInfoGeneratorBuilder().build("SHA256withRSA",
                signerKey, signerCertificate));
        cms.addCertificate(new JcaX509CertificateHolder(signerCertificate));
        byte[] pkcs7 = cms.generate(new CMSProcessableByteArray(csr), true).getEncoded();
        URI service = URI.create(current.managementUrl().resolve("/").toString().replaceAll("/$", "")
                + current.managementUrl().getPath().replace("/ManagementServer/MDM.svc", "/EnrollmentServer/Enrollment.svc"));
        HttpClient tls = HttpClient.newBuilder().sslContext(TestTls.identified(current.certificate(), current.keys().getPrivate(),
                current.trustedRoots().toArray(X509Certificate[]::new))).build();
        HttpResponse<String> renewed = tls.send(HttpRequest.newBuilder(service).header("Content-Type", "application/soap+xml; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(envelope("http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RST/wstep",
                        service, "", "<wst:RequestSecurityToken><wst:TokenType>http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/"
                                + "Enrollment/DeviceEnrollmentToken</wst:TokenType><wst:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/"
                                + "200512/Renew</wst:RequestType><wsse:BinarySecurityToken ValueType=\"http://schemas.microsoft.com/windows/pki/"
                                + "2009/01/enrollment#PKCS7\" EncodingType=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-"
                                + "wssecurity-secext-1.0.xsd#base64binary\">" + Base64.getEncoder().encodeToString(pkcs7)
                                + "</wsse:BinarySecurityToken></wst:RequestSecurityToken>"))).build(), HttpResponse.BodyHandlers.ofString());
        Optional<Fault> fault = fault(renewed);
        if (fault.isPresent()) {
            return new Outcome(Optional.empty(), fault);
        }
        return new Outcome(Optional.of(provisioned(renewed.body(), keys)), Optional.empty());
    }

    /** Sends any body to a service, as a client that got something wrong would; answers as received. */
    public HttpResponse<String> postRaw(URI url, String body) throws Exception {
        return post(url, body);
    }

    public static Optional<Fault> fault(HttpResponse<String> response) {
        if (!response.body().contains("Fault>")) {
            if (response.statusCode() != 200) {
                throw new AssertionError("answered " + response.statusCode() + " without a SOAP fault: " + response.body());
            }
            return Optional.empty();
        }
        Element fault = SafeXml.descendant(SafeXml.parse(response.body()).getDocumentElement(), SOAP, "Fault").orElseThrow();
        Element code = SafeXml.child(fault, SOAP, "Code").orElseThrow();
        return Optional.of(new Fault(response.statusCode(), SafeXml.childText(code, SOAP, "Value").orElse(""),
                SafeXml.child(code, SOAP, "Subcode").flatMap(subcode -> SafeXml.childText(subcode, SOAP, "Value")).orElse(""),
                SafeXml.descendant(fault, null, "ErrorType").map(element -> element.getTextContent().trim()).orElse(""),
                SafeXml.descendant(fault, SOAP, "Text").map(element -> element.getTextContent().trim()).orElse("")));
    }

    private static Discovered discovered(String body) {
        Element result = SafeXml.descendant(SafeXml.parse(body).getDocumentElement(), null, "DiscoverResult").orElseThrow();
        return new Discovered(SafeXml.childText(result, null, "AuthPolicy").orElseThrow(),
                URI.create(SafeXml.childText(result, null, "EnrollmentPolicyServiceUrl").orElseThrow()),
                URI.create(SafeXml.childText(result, null, "EnrollmentServiceUrl").orElseThrow()),
                SafeXml.childText(result, null, "AuthenticationServiceUrl").map(URI::create));
    }

    /** Reads the provisioning document out of the RequestSecurityTokenResponseCollection, as the client installs it. */
    private static Enrolled provisioned(String body, KeyPair keys) throws Exception {
        Element token = SafeXml.descendant(SafeXml.parse(body).getDocumentElement(), WSSE, "BinarySecurityToken").orElseThrow();
        if (!token.getAttribute("ValueType").endsWith("DeviceEnrollmentProvisionDoc")) {
            throw new AssertionError("not a provisioning document: " + token.getAttribute("ValueType"));
        }
        String xml = new String(Base64.getDecoder().decode(token.getTextContent().trim()), StandardCharsets.UTF_8);
        Element document = SafeXml.parse(xml).getDocumentElement();
        List<X509Certificate> roots = new ArrayList<>();
        X509Certificate certificate = null;
        String store = "";
        Map<String, String> application = new LinkedHashMap<>();
        Map<String, String> poll = new LinkedHashMap<>();
        String providerId = "";
        for (Element characteristic : SafeXml.children(document, null, "characteristic")) {
            switch (characteristic.getAttribute("type")) {
                case "CertificateStore" -> {
                    Element kind = SafeXml.children(characteristic, null, "characteristic").get(0);
                    Element location = SafeXml.children(kind, null, "characteristic").get(0);
                    Element entry = SafeXml.children(location, null, "characteristic").get(0);
                    X509Certificate parsed = certificate(parm(entry, "EncodedCertificate"));
                    if (kind.getAttribute("type").equals("Root")) {
                        roots.add(parsed);
                    } else {
                        certificate = parsed;
                        store = kind.getAttribute("type") + "\\" + location.getAttribute("type");
                    }
                }
                case "APPLICATION" -> SafeXml.children(characteristic, null, "parm")
                        .forEach(parm -> application.put(parm.getAttribute("name"), parm.getAttribute("value")));
                case "DMClient" -> {
                    Element provider = SafeXml.children(SafeXml.children(characteristic, null, "characteristic").get(0), null, "characteristic").get(0);
                    providerId = provider.getAttribute("type");
                    SafeXml.children(provider, null, "characteristic").stream().filter(child -> child.getAttribute("type").equals("Poll"))
                            .flatMap(child -> SafeXml.children(child, null, "parm").stream())
                            .forEach(parm -> poll.put(parm.getAttribute("name"), parm.getAttribute("value")));
                }
                default -> throw new AssertionError("unexpected characteristic " + characteristic.getAttribute("type"));
            }
        }
        if (certificate == null || !certificate.getPublicKey().equals(keys.getPublic())) {
            throw new AssertionError("the provisioning document holds no certificate for this PC's key");
        }
        return new Enrolled(certificate, keys, roots, URI.create(application.get("ADDR")), providerId, store, application, poll, xml);
    }

    private static String parm(Element characteristic, String name) {
        return SafeXml.children(characteristic, null, "parm").stream().filter(parm -> parm.getAttribute("name").equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no parm " + name)).getAttribute("value");
    }

    private static X509Certificate certificate(String base64) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(base64)));
    }

    private static String context(String name, String value) {
        return "<ac:ContextItem Name=\"" + name + "\"><ac:Value>" + SafeXml.escape(value) + "</ac:Value></ac:ContextItem>";
    }

    private static String envelope(String action, URI to, String security, String body) {
        return "<s:Envelope xmlns:s=\"" + SOAP + "\" xmlns:a=\"http://www.w3.org/2005/08/addressing\" xmlns:u=\""
                + "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\" xmlns:wsse=\"" + WSSE
                + "\" xmlns:wst=\"http://docs.oasis-open.org/ws-sx/ws-trust/200512\" xmlns:ac=\"http://schemas.xmlsoap.org/ws/2006/12/"
                + "authorization\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><s:Header><a:Action s:mustUnderstand=\"1\">"
                + action + "</a:Action><a:MessageID>urn:uuid:" + UUID.randomUUID() + "</a:MessageID><a:ReplyTo><a:Address>"
                + "http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo><a:To s:mustUnderstand=\"1\">" + to + "</a:To>"
                + security + "</s:Header><s:Body>" + body + "</s:Body></s:Envelope>";
    }

    private HttpResponse<String> post(URI url, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(url).header("Content-Type", "application/soap+xml; charset=utf-8")
                .header("User-Agent", "ENROLLClient").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
