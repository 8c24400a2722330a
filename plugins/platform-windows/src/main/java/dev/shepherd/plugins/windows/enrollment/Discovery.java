package dev.shepherd.plugins.windows.enrollment;

import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.plugins.windows.xml.SafeXml;
import org.w3c.dom.Element;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * MS-MDE2 discovery: the first thing Windows asks, at {@code /EnrollmentServer/Discovery.svc} on
 * {@code enterpriseenrollment.<the user's e-mail domain>}. A GET only checks that the service is there; the POST
 * asks where the policy and enrollment services are and how the user authenticates.
 *
 * <p>The answer is {@code OnPremise} (the enrollment client asks the user for a password, sent in WS-Security), unless
 * the client offers {@code Federated} and a federated sign-in page is configured; then the client signs in there
 * and brings back a token for enrollment.
 */
public final class Discovery {

    static final String ACTION = "http://schemas.microsoft.com/windows/management/2012/01/enrollment/IDiscoveryService/Discover";
    static final String RESPONSE_ACTION = ACTION + "Response";
    private static final String NAMESPACE = "http://schemas.microsoft.com/windows/management/2012/01/enrollment";

    /** What the client said about itself. */
    public record Request(String emailAddress, String requestVersion, String deviceType, List<String> authPolicies) {
    }

    private final EnrollmentUrls urls;
    private final Optional<String> federatedSignInUrl;

    /**
     * @param federatedSignInUrl where clients offering {@code Federated} authenticate, if an identity plugin serves one
     */
    public Discovery(EnrollmentUrls urls, Optional<String> federatedSignInUrl) {
        this.urls = requireNonNull(urls, "urls is null");
        this.federatedSignInUrl = requireNonNull(federatedSignInUrl, "federatedSignInUrl is null");
    }

    /** Reads a Discover request. */
    public static Request read(Soap.Request soap) {
        if (!ACTION.equals(soap.action()) || !"Discover".equals(soap.body().getLocalName())) {
            throw new Soap.FaultException(Soap.Fault.MESSAGE_FORMAT, "expected a Discover request, got action '" + soap.action() + "'");
        }
        Element request = SafeXml.child(soap.body(), null, "request")
                .orElseThrow(() -> new Soap.FaultException(Soap.Fault.MESSAGE_FORMAT, "Discover has no request"));
        List<String> policies = new ArrayList<>();
        SafeXml.child(request, null, "AuthPolicies").ifPresent(list -> SafeXml.children(list, null, "AuthPolicy")
                .forEach(policy -> policies.add(policy.getTextContent().trim())));
        return new Request(SafeXml.childText(request, null, "EmailAddress").orElse(""),
                SafeXml.childText(request, null, "RequestVersion").orElse("1.0"),
                SafeXml.childText(request, null, "DeviceType").orElse(""), List.copyOf(policies));
    }

    private static double versionNumber(String version) {
        try {
            return Double.parseDouble(version.trim());
        } catch (NumberFormatException e) {
            throw new Soap.FaultException(Soap.Fault.MESSAGE_FORMAT, "RequestVersion '" + version + "' is not a version number");
        }
    }

    /** Answers a Discover request. */
    public DeviceResponse answer(Soap.Request soap) {
        Request request = read(soap);
        boolean federated = federatedSignInUrl.isPresent() && request.authPolicies().contains("Federated");
        // Versions 3.0 and up are what current Windows speaks; an older client is told the version it asked for.
        String version = versionNumber(request.requestVersion()) >= 4.0 ? "4.0" : request.requestVersion();
        String body = "<DiscoverResponse xmlns=\"" + NAMESPACE + "\"><DiscoverResult>"
                + "<AuthPolicy>" + (federated ? "Federated" : "OnPremise") + "</AuthPolicy>"
                + "<EnrollmentVersion>" + SafeXml.escape(version) + "</EnrollmentVersion>"
                + "<EnrollmentPolicyServiceUrl>" + SafeXml.escape(urls.policyService()) + "</EnrollmentPolicyServiceUrl>"
                + "<EnrollmentServiceUrl>" + SafeXml.escape(urls.enrollmentService()) + "</EnrollmentServiceUrl>"
                + (federated ? "<AuthenticationServiceUrl>" + SafeXml.escape(federatedSignInUrl.get()) + "</AuthenticationServiceUrl>" : "")
                + "</DiscoverResult></DiscoverResponse>";
        return Soap.answer(RESPONSE_ACTION, soap.messageId(), body);
    }
}
