package dev.shepherd.plugins.windows.enrollment;

import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.EnrollmentRefusedException;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.api.pki.Asn1Nesting;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.plugins.windows.xml.SafeXml;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.pki.IssuedCertificate;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.interfaces.RSAPublicKey;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * MS-WSTEP {@code RequestSecurityToken}: the client sends its PKCS#10 request with what it knows about itself; the
 * server authenticates the user, enrolls the device in the registry, has the kernel CA sign the request, and answers
 * with a provisioning document holding the certificate and the management settings.
 *
 * <p>The certificate is bound to the device: its CA record carries the kernel device id and the client's DeviceID,
 * which the management service checks on every session, so a certificate only ever speaks for its own device.
 */
public final class CertificateEnrollment {

    static final String ACTION = "http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RST/wstep";
    static final String RESPONSE_ACTION = "http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RSTRC/wstep";
    static final String TRUST = "http://docs.oasis-open.org/ws-sx/ws-trust/200512";
    static final String TOKEN_TYPE = "http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentToken";
    static final String ISSUE = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue";
    static final String RENEW = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Renew";
    static final String PKCS10 = "http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS10";
    static final String PKCS7 = "http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS7";
    static final String PROVISION_DOC = "http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentProvisionDoc";
    static final String BASE64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#base64binary";
    /** The CA binding naming the kernel device a certificate speaks for. */
    public static final String DEVICE_BINDING = "deviceId";
    /** The CA binding naming the client's own DeviceID, the SyncML source of its sessions. */
    public static final String WINDOWS_DEVICE_BINDING = "windowsDeviceId";
    /** The CA binding naming the store the certificate lives in on the PC ({@code User} or {@code System}), kept at renewal. */
    public static final String STORE_BINDING = "certificateStore";
    /** The hardware identifier kind of the client's DeviceID in the registry. */
    public static final String WINDOWS_DEVICE_ID = "windowsDeviceId";
    /** The hardware identifier kind of the device id Microsoft Entra ID gave a joined PC. */
    public static final String ENTRA_DEVICE_ID = "entraDeviceId";
    private static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9{}._-]{1,128}");
    private static final Logger log = LoggerFactory.getLogger(CertificateEnrollment.class);

    /** What the client said about itself in AdditionalContext. */
    public record ClientContext(String deviceId, Optional<String> hardwareDeviceId, String deviceName, String osVersion,
                                String deviceType, boolean deviceEnrollment) {
    }

    /** How the answer is put together, from the server's settings at the time of the request. */
    public record Settings(EnrollmentUrls urls, List<X509Certificate> serverRoots, String organization, Duration certificateValidity,
                           int pollMinutes, Optional<String> pushPackageFamilyName) {
        public Settings {
            requireNonNull(urls, "urls is null");
            serverRoots = List.copyOf(serverRoots);
            requireNonNull(organization, "organization is null");
            requireNonNull(certificateValidity, "certificateValidity is null");
            requireNonNull(pushPackageFamilyName, "pushPackageFamilyName is null");
        }
    }

    private final DeviceRegistry registry;
    private final CertificateAuthority authority;
    private final EnrollmentAuthentication authentication;

    public CertificateEnrollment(DeviceRegistry registry, CertificateAuthority authority, EnrollmentAuthentication authentication) {
        this.registry = requireNonNull(registry, "registry is null");
        this.authority = requireNonNull(authority, "authority is null");
        this.authentication = requireNonNull(authentication, "authentication is null");
    }

    /**
     * Answers a RequestSecurityToken: an enrollment (Issue), or the renewal (Renew) a PC starts on its own before its
     * certificate expires, authenticated by that certificate over TLS.
     *
     * @param clientCertificates the TLS client certificate chain, which only a renewal uses
     */
    public DeviceResponse answer(Soap.Request soap, List<X509Certificate> clientCertificates, Supplier<Settings> settings) {
        if (!ACTION.equals(soap.action()) || !"RequestSecurityToken".equals(soap.body().getLocalName())) {
            throw new Soap.FaultException(Soap.Fault.MESSAGE_FORMAT, "expected a RequestSecurityToken, got action '" + soap.action() + "'");
        }
        Element request = soap.body();
        String tokenType = SafeXml.childText(request, TRUST, "TokenType").orElse("");
        String requestType = SafeXml.childText(request, TRUST, "RequestType").orElse("");
        if (!TOKEN_TYPE.equals(tokenType) || !(ISSUE.equals(requestType) || RENEW.equals(requestType))) {
            throw new Soap.FaultException(Soap.Fault.MESSAGE_FORMAT, "only DeviceEnrollmentToken Issue and Renew requests are served (got "
                    + tokenType + " " + requestType + ")");
        }
        if (RENEW.equals(requestType)) {
            return renew(soap, clientCertificates, settings.get());
        }
        byte[] csr = certificateRequest(request, PKCS10);
        ClientContext context = context(request);
        EnrollmentAuthentication.Authenticated who = authentication.authenticate(soap.credentials(), true);
        checkRequest(csr);

        Map<String, String> hardwareIds = new LinkedHashMap<>();
        hardwareIds.put(WINDOWS_DEVICE_ID, context.deviceId());
        context.hardwareDeviceId().ifPresent(id -> hardwareIds.put("hwDevId", id));
        EnrollmentClaim claim;
        if (who instanceof EnrollmentAuthentication.ByToken byToken) {
            claim = new EnrollmentClaim(Optional.of(byToken.token()), Platform.WINDOWS, EnrollmentMethod.LINK, hardwareIds, "",
                    context.deviceType(), context.osVersion(), context.deviceName());
        } else if (who instanceof EnrollmentAuthentication.ByEntra byEntra) {
            // The device id Entra signed is an identifier the PC cannot make up, unlike its own DeviceID and HWDevID.
            byEntra.token().deviceId().ifPresent(id -> hardwareIds.put(ENTRA_DEVICE_ID, id));
            claim = new EnrollmentClaim(Optional.empty(), Platform.WINDOWS, EnrollmentMethod.PROGRAM, hardwareIds, "",
                    context.deviceType(), context.osVersion(), context.deviceName(), Optional.of(byEntra.directoryUserId()));
        } else {
            claim = new EnrollmentClaim(Optional.empty(), Platform.WINDOWS, EnrollmentMethod.CREDENTIALS, hardwareIds, "",
                    context.deviceType(), context.osVersion(), context.deviceName(),
                    Optional.of(((EnrollmentAuthentication.ByCredentials) who).user().directoryUserId()));
        }
        // A PC enrolling again while presenting its current certificate over TLS proves it is the device that holds it;
        // without it, the DeviceID and HWDevID it asserts prove nothing, and the kernel gives it a record of its own.
        Optional<DeviceId> proven = authority.verify(clientCertificates)
                .filter(presented -> context.deviceId().equals(presented.bindings().get(WINDOWS_DEVICE_BINDING)))
                .map(presented -> presented.bindings().get(DEVICE_BINDING)).map(DeviceId::parse);
        if (proven.isPresent()) {
            claim = claim.provenBy(proven.get());
        }
        Device device;
        try {
            device = registry.enroll(claim);
        } catch (EnrollmentRefusedException e) {
            throw new Soap.FaultException(Soap.Fault.AUTHORIZATION, "Enrollment was refused: " + e.getMessage());
        }
        if (who instanceof EnrollmentAuthentication.ByEntra byEntra) {
            recordEntraIdentity(device, byEntra);
        }
        Settings current = settings.get();
        X509Certificate certificate;
        try {
            certificate = authority.sign(csr, current.certificateValidity(), Map.of(DEVICE_BINDING, device.id().toString(),
                    WINDOWS_DEVICE_BINDING, context.deviceId(), STORE_BINDING, context.deviceEnrollment() ? "System" : "User"));
        } catch (IllegalArgumentException e) {
            throw new Soap.FaultException(Soap.Fault.CERTIFICATE_REQUEST, "The certificate request cannot be signed: " + e.getMessage());
        }
        log.info("Windows device {} enrolled as {} ({})", context.deviceId(), device.id(),
                who instanceof EnrollmentAuthentication.ByEntra byEntra ? "Entra join, tenant " + byEntra.token().tenantId()
                        : who instanceof EnrollmentAuthentication.ByToken ? "enrollment token" : "work account");
        return provisioned(soap, certificate, device, context.deviceEnrollment(), current);
    }

    /**
     * The Entra identity in the device's inventory: the device id under the platform-neutral {@code hardware.} key that
     * threat-defense signals (Defender's {@code aadDeviceId}) are matched by, and the tenant and user it joined with.
     */
    private void recordEntraIdentity(Device device, EnrollmentAuthentication.ByEntra byEntra) {
        Map<String, String> inventory = new LinkedHashMap<>();
        byEntra.token().deviceId().ifPresent(id -> inventory.put("hardware." + ENTRA_DEVICE_ID, id));
        inventory.put("entra.tenantId", byEntra.token().tenantId());
        inventory.put("entra.userPrincipalName", byEntra.token().userPrincipalName());
        inventory.put("entra.userObjectId", byEntra.token().objectId());
        registry.recordInventory(device.id(), inventory);
    }

    /**
     * A renewal: the PC proves it holds its current certificate twice, by TLS and by signing the new request with it
     * (PKCS#7), and gets a certificate with the same bindings. The old one stays valid until the PC is seen using the
     * new one (its first management session binds the new one and revokes the old), in case the PC does not install it.
     */
    private DeviceResponse renew(Soap.Request soap, List<X509Certificate> clientCertificates, Settings current) {
        IssuedCertificate presented = authority.verify(clientCertificates).orElseThrow(() -> new Soap.FaultException(
                Soap.Fault.AUTHENTICATION, "Renewal needs the PC's current certificate, valid and not revoked, as its TLS client certificate."));
        String deviceId = presented.bindings().get(DEVICE_BINDING);
        String windowsDeviceId = presented.bindings().get(WINDOWS_DEVICE_BINDING);
        if (deviceId == null || windowsDeviceId == null) {
            throw new Soap.FaultException(Soap.Fault.AUTHORIZATION, "This certificate was not issued to a Windows PC.");
        }
        byte[] csr = signedRequest(certificateRequest(soap.body(), PKCS7), clientCertificates.get(0));
        checkRequest(csr);
        Device device = registry.find(DeviceId.parse(deviceId))
                // A retired or wiped PC's identity is not renewed: it ends with the PC's answer to its final command.
                .filter(found -> found.status() != DeviceStatus.RETIRED && found.status() != DeviceStatus.WIPED)
                .orElseThrow(() -> new Soap.FaultException(Soap.Fault.AUTHORIZATION, "This PC is no longer enrolled."));
        X509Certificate certificate;
        try {
            certificate = authority.sign(csr, current.certificateValidity(), presented.bindings());
        } catch (IllegalArgumentException e) {
            throw new Soap.FaultException(Soap.Fault.CERTIFICATE_REQUEST, "The certificate request cannot be signed: " + e.getMessage());
        }
        log.info("Windows device {} ({}) renewed its certificate", windowsDeviceId, deviceId);
        return provisioned(soap, certificate, device, "System".equals(presented.bindings().get(STORE_BINDING)), current);
    }

    /** The PKCS#10 inside a renewal's PKCS#7, which must be signed with the certificate the PC authenticated with. */
    private static byte[] signedRequest(byte[] pkcs7, X509Certificate signer) {
        try {
            CMSSignedData signed = new CMSSignedData(Asn1Nesting.requireBounded(pkcs7));
            if (signed.getSignedContent() == null) {
                throw new Soap.FaultException(Soap.Fault.CERTIFICATE_REQUEST, "the renewal request carries no certificate request");
            }
            boolean bySigner = false;
            for (SignerInformation information : signed.getSignerInfos().getSigners()) {
                bySigner |= information.verify(new JcaSimpleSignerInfoVerifierBuilder().build(signer));
            }
            if (!bySigner) {
                throw new Soap.FaultException(Soap.Fault.AUTHENTICATION, "the renewal request is not signed with the PC's current certificate");
            }
            return (byte[]) signed.getSignedContent().getContent();
        } catch (CMSException | OperatorCreationException | IllegalArgumentException e) {
            throw new Soap.FaultException(Soap.Fault.CERTIFICATE_REQUEST, "the renewal request is not a signed PKCS#7 message");
        }
    }

    /** The answer: the certificate in a provisioning document, inside the RequestSecurityTokenResponseCollection. */
    private DeviceResponse provisioned(Soap.Request soap, X509Certificate certificate, Device device, boolean deviceEnrollment,
                                       Settings current) {
        List<X509Certificate> roots = new ArrayList<>();
        roots.add(authority.certificate());
        roots.addAll(current.serverRoots());
        ProvisioningDocument document = new ProvisioningDocument(roots, certificate, device.name(), device.id().toString(), deviceEnrollment,
                current.urls().management(), ProvisioningDocument.PROVIDER_ID, current.organization(), current.pollMinutes(),
                current.pushPackageFamilyName());
        String encoded = Base64.getEncoder().encodeToString(document.xml().getBytes(StandardCharsets.UTF_8));
        String body = "<RequestSecurityTokenResponseCollection xmlns=\"" + TRUST + "\"><RequestSecurityTokenResponse>"
                + "<TokenType>" + TOKEN_TYPE + "</TokenType>"
                + "<DispositionMessage xmlns=\"" + Soap.ENROLLMENT + "\"/>"
                + "<RequestedSecurityToken><BinarySecurityToken ValueType=\"" + PROVISION_DOC + "\" EncodingType=\"" + BASE64
                + "\" xmlns=\"" + Soap.SECURITY + "\">" + encoded + "</BinarySecurityToken></RequestedSecurityToken>"
                + "<RequestID xmlns=\"" + Soap.ENROLLMENT + "\">0</RequestID>"
                + "</RequestSecurityTokenResponse></RequestSecurityTokenResponseCollection>";
        return Soap.answer(RESPONSE_ACTION, soap.messageId(), body);
    }

    private static byte[] certificateRequest(Element request, String valueType) {
        Element token = SafeXml.child(request, Soap.SECURITY, "BinarySecurityToken")
                .orElseThrow(() -> new Soap.FaultException(Soap.Fault.MESSAGE_FORMAT, "the request carries no BinarySecurityToken"));
        // MS-MDE2's examples put a space into the PKCS#7 value type; clients may send it either way.
        if (!valueType.equals(token.getAttribute("ValueType").replace(" ", ""))) {
            throw new Soap.FaultException(Soap.Fault.MESSAGE_FORMAT, "the BinarySecurityToken is not a " + (valueType.equals(PKCS10)
                    ? "PKCS#10 request" : "PKCS#7 renewal request"));
        }
        try {
            return Base64.getMimeDecoder().decode(token.getTextContent().trim());
        } catch (IllegalArgumentException e) {
            throw new Soap.FaultException(Soap.Fault.MESSAGE_FORMAT, "the certificate request is not base64");
        }
    }

    private static ClientContext context(Element request) {
        Map<String, String> items = new LinkedHashMap<>();
        SafeXml.child(request, null, "AdditionalContext").ifPresent(context -> SafeXml.children(context, null, "ContextItem")
                .forEach(item -> items.putIfAbsent(item.getAttribute("Name"), SafeXml.childText(item, null, "Value").orElse(""))));
        String deviceId = items.getOrDefault("DeviceID", "");
        if (!DEVICE_ID.matcher(deviceId).matches()) {
            throw new Soap.FaultException(Soap.Fault.MESSAGE_FORMAT, "AdditionalContext needs a DeviceID of 1 to 128 letters, digits and {}._-");
        }
        Optional<String> hardwareId = Optional.ofNullable(items.get("HWDevID")).filter(id -> DEVICE_ID.matcher(id).matches());
        return new ClientContext(deviceId, hardwareId, limit(items.getOrDefault("DeviceName", "")), limit(items.getOrDefault("OSVersion", "")),
                limit(items.getOrDefault("DeviceType", "")), "Device".equalsIgnoreCase(items.getOrDefault("EnrollmentType", "Full")));
    }

    private static String limit(String text) {
        return text.length() > 200 ? text.substring(0, 200) : text;
    }

    /**
     * Checked before the device is enrolled, so a request the CA would refuse does not use up the token: it must be
     * well-formed, signed by its own key, and meet the policy's key size.
     */
    private static void checkRequest(byte[] csr) {
        try {
            PKCS10CertificationRequest request = new PKCS10CertificationRequest(Asn1Nesting.requireBounded(csr));
            if (!request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(request.getSubjectPublicKeyInfo()))) {
                throw new Soap.FaultException(Soap.Fault.CERTIFICATE_REQUEST, "the certificate request's signature does not verify");
            }
            var algorithm = request.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm();
            PublicKey key = KeyFactory.getInstance(algorithm.equals(PKCSObjectIdentifiers.rsaEncryption) ? "RSA"
                    : algorithm.equals(X9ObjectIdentifiers.id_ecPublicKey) ? "EC" : "unsupported")
                    .generatePublic(new X509EncodedKeySpec(request.getSubjectPublicKeyInfo().getEncoded()));
            if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < CertificatePolicies.MINIMAL_KEY_LENGTH) {
                throw new Soap.FaultException(Soap.Fault.CERTIFICATE_REQUEST, "the key is " + rsa.getModulus().bitLength()
                        + " bits; the policy asks for at least " + CertificatePolicies.MINIMAL_KEY_LENGTH);
            }
        } catch (IOException | RuntimeException | OperatorCreationException | PKCSException | GeneralSecurityException e) {
            if (e instanceof Soap.FaultException fault) {
                throw fault;
            }
            throw new Soap.FaultException(Soap.Fault.CERTIFICATE_REQUEST, "the certificate request is not a valid PKCS#10 request");
        }
    }
}
