package dev.shepherd.plugins.windows.enrollment;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.http.DeviceEndpoint;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.api.identity.UserAuthenticator;
import dev.shepherd.api.identity.UserDirectory;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.ServerSigner;
import dev.shepherd.plugins.windows.entra.EntraTokens;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The MS-MDE2 enrollment services: discovery ({@code /EnrollmentServer/Discovery.svc}, also at the server's root where
 * Windows looks for it), the certificate enrollment policy ({@code Policy.svc}, MS-XCEP) and certificate enrollment
 * ({@code Enrollment.svc}, MS-WSTEP), under {@code /mdm/windows}. Every refusal is a SOAP fault the enrollment client
 * shows the user.
 *
 * <p>Plugin settings: {@code organization} (shown as the management provider), {@code certificateValidity} (ISO-8601,
 * default P365D), {@code pollMinutes} (how often PCs check in without a push, default 240), {@code federatedSignIn}
 * (true: clients that offer federated authentication sign their user in on the server's enrollment sign-in page),
 * {@code federatedSignInUrl} (another sign-in page, whose token must be an enrollment token) and
 * {@code wnsPackageFamilyName} (for MDM push). Automatic enrollment of PCs joining Microsoft Entra ID is set up by the
 * {@code entra*} settings ({@link dev.shepherd.plugins.windows.entra.EntraSettings}).
 */
@Extension
public final class EnrollmentEndpoint implements DeviceEndpoint {

    private static final int MAX_BODY_BYTES = 256 * 1024;

    private final PluginConfig config;
    private final PluginIdentity identity;
    private final ServerAddress address;
    private final ServerSigner signer;
    private final EnrollmentAuthentication authentication;
    private final CertificateEnrollment enrollment;
    private final EntraTokens entra;

    @Inject
    public EnrollmentEndpoint(DeviceRegistry registry, CertificateAuthority authority, UserAuthenticator users, PluginConfig config,
                              PluginIdentity identity, ServerAddress address, ServerSigner signer, UserDirectory directory,
                              EntraTokens entra) {
        this.config = requireNonNull(config, "config is null");
        this.identity = requireNonNull(identity, "identity is null");
        this.address = requireNonNull(address, "address is null");
        this.signer = requireNonNull(signer, "signer is null");
        this.entra = requireNonNull(entra, "entra is null");
        this.authentication = new EnrollmentAuthentication(registry, users, directory, entra);
        this.enrollment = new CertificateEnrollment(registry, authority, authentication);
    }

    @Override
    public String path() {
        return "/EnrollmentServer";
    }

    @Override
    public Set<String> wellKnownPaths() {
        return Set.of(EnrollmentUrls.WELL_KNOWN_DISCOVERY);
    }

    @Override
    public int maxBodyBytes() {
        return MAX_BODY_BYTES;
    }

    @Override
    public DeviceResponse handle(DeviceRequest request) {
        String service = request.path().substring(request.path().lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
        boolean discovery = service.equals("discovery.svc");
        if (request.method().equals("GET") && discovery) {
            // Windows first checks with a GET that the discovery service is there.
            return DeviceResponse.of(200, "text/html", new byte[0]);
        }
        if (!request.method().equals("POST")) {
            return DeviceResponse.text(405, "the enrollment services take SOAP requests by POST").withHeader("Allow", discovery ? "GET, POST" : "POST");
        }
        String relatesTo = "";
        try {
            Soap.Request soap = Soap.parse(request.body());
            relatesTo = soap.messageId();
            EnrollmentUrls urls = new EnrollmentUrls(address.publicUrl(), identity.devicePath());
            return switch (service) {
                case "discovery.svc" -> new Discovery(urls, federatedSignInUrl()).answer(soap);
                case "policy.svc" -> {
                    authentication.authenticate(soap.credentials(), false);
                    yield new CertificatePolicies(certificateValidity()).answer(soap);
                }
                case "enrollment.svc" -> enrollment.answer(soap, request.clientCertificates(), () -> new CertificateEnrollment.Settings(urls, serverRoots(),
                        config.get("organization", "Shepherd"), certificateValidity(), pollMinutes(), config.get("wnsPackageFamilyName")));
                default -> DeviceResponse.text(404, "the enrollment services are Discovery.svc, Policy.svc and Enrollment.svc");
            };
        } catch (Soap.FaultException e) {
            return Soap.fault(e.fault(), e.getMessage(), relatesTo);
        }
    }

    /**
     * An external page if one is configured, else the server's own page when federated sign-in is on. With Entra
     * enrollment on, discovery answers {@code Federated} too: Entra-joined PCs skip the page (Entra gave them their
     * token) and PCs adding a work account by hand sign in on the server's page.
     */
    private Optional<String> federatedSignInUrl() {
        return config.get("federatedSignInUrl").or(() -> config.getBoolean("federatedSignIn", false) || entraEnabled()
                ? Optional.of(address.publicUrl() + UserAuthenticator.ENROLLMENT_SIGN_IN_PATH) : Optional.empty());
    }

    private boolean entraEnabled() {
        try {
            return entra.settings().enabled();
        } catch (IllegalArgumentException misconfigured) {
            return false;
        }
    }

    private Duration certificateValidity() {
        return config.getDuration("certificateValidity", Duration.ofDays(365));
    }

    private int pollMinutes() {
        return Math.max(15, config.getInt("pollMinutes", 240));
    }

    /** The server's TLS root when self-signed: the PC must trust it to reach the management service. */
    private List<X509Certificate> serverRoots() {
        List<X509Certificate> chain = signer.chain();
        X509Certificate root = chain.get(chain.size() - 1);
        return root.getSubjectX500Principal().equals(root.getIssuerX500Principal()) ? List.of(root) : List.of();
    }
}
