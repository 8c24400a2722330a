package dev.shepherd.plugins.windows.entra;

import dev.shepherd.api.http.DeviceEndpoint;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.plugins.windows.xml.SafeXml;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * The MDM terms-of-use page Windows shows in its web view while a PC joins Microsoft Entra ID (or a work account is
 * added), at {@code /mdm/windows/TermsOfUse}: the URL registered as the MDM application's terms-of-use URL in Entra.
 *
 * <p>The contract ("Terms of Use protocol semantics"): Windows opens the page with {@code redirect_uri},
 * {@code client-request-id}, {@code api-version} (1.0) and, for an organisation-owned device, {@code mode=azureadjoin},
 * and Entra's access token for the MDM application as {@code Authorization: Bearer}. The page shows the terms with an
 * Accept button, which goes to {@code redirect_uri} with {@code IsAccepted=true} and an {@code OpaqueBlob} (here the
 * SHA-256 of the terms accepted), and, except during an Entra join where enrollment cannot be declined, a Decline
 * button ({@code IsAccepted=false}). Errors go to {@code redirect_uri} with {@code error} and {@code error_description}
 * by 302: {@code invalid_request} for an unsupported version, {@code unauthorized_client} for a token that does not
 * validate or a tenant that may not enroll, {@code server_error} when Entra cannot be reached. Only Windows'
 * {@code ms-appx-web:} redirect addresses are followed, so the page cannot be used to redirect a browser elsewhere.
 *
 * @see <a href="https://learn.microsoft.com/en-us/windows/client-management/azure-active-directory-integration-with-mdm#terms-of-use-protocol-semantics">Terms
 *      of Use protocol semantics</a>
 */
@Extension
public final class TermsOfUseEndpoint implements DeviceEndpoint {

    /** The page's path below the plugin's mount point. */
    public static final String PATH = "/TermsOfUse";
    private static final Pattern REDIRECT = Pattern.compile("ms-appx-web://[A-Za-z0-9._-]+(/[A-Za-z0-9._~%/-]*)?(\\?[A-Za-z0-9._~%&=-]*)?");
    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9-]{1,64}");

    private final EntraTokens entra;

    @Inject
    public TermsOfUseEndpoint(EntraTokens entra) {
        this.entra = requireNonNull(entra, "entra is null");
    }

    @Override
    public String path() {
        return PATH;
    }

    @Override
    public int maxBodyBytes() {
        return 0;
    }

    @Override
    public DeviceResponse handle(DeviceRequest request) {
        if (!request.method().equals("GET")) {
            return DeviceResponse.problem(405, "Method not allowed", "The terms-of-use page is opened with GET.").withHeader("Allow", "GET");
        }
        String redirectUri = request.queryParameter("redirect_uri").orElse("");
        if (!REDIRECT.matcher(redirectUri).matches()) {
            return DeviceResponse.problem(400, "Bad redirect_uri",
                    "The terms-of-use page is opened by Windows with an ms-appx-web: redirect_uri to return to.");
        }
        Optional<String> requestId = request.queryParameter("client-request-id").filter(id -> REQUEST_ID.matcher(id).matches());
        if (!"1.0".equals(request.queryParameter("api-version").orElse(""))) {
            return error(redirectUri, requestId, "invalid_request", "unsupported version");
        }
        String token = request.header("Authorization").filter(value -> value.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(value -> value.substring(7).trim()).orElse("");
        EntraSettings settings;
        EntraToken user;
        try {
            settings = entra.settings();
            user = entra.validate(token);
        } catch (EntraTokenException e) {
            return switch (e.reason()) {
                case INVALID -> error(redirectUri, requestId, "unauthorized_client", "unauthorized_client");
                case TENANT_NOT_ALLOWED -> error(redirectUri, requestId, "unauthorized_client", "unauthorized user or tenant");
                case UNAVAILABLE -> error(redirectUri, requestId, "server_error", "internal service error");
            };
        } catch (IllegalArgumentException misconfigured) {
            return error(redirectUri, requestId, "server_error", "internal service error");
        }
        boolean entraJoin = "azureadjoin".equalsIgnoreCase(request.queryParameter("mode").orElse(""));
        Map<String, String> accept = new LinkedHashMap<>();
        accept.put("IsAccepted", "true");
        accept.put("OpaqueBlob", termsDigest(settings.termsOfUse()));
        requestId.ifPresent(id -> accept.put("client-request-id", id));
        Map<String, String> decline = new LinkedHashMap<>();
        decline.put("IsAccepted", "false");
        requestId.ifPresent(id -> decline.put("client-request-id", id));
        // The out-of-box experience (CXH-HOST: FRX) is dark; Settings (MOSET) is light.
        boolean dark = "FRX".equalsIgnoreCase(request.header("CXH-HOST").orElse(""));
        String page = """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
                <title>Terms of use</title>
                <style>body{font-family:"Segoe UI",sans-serif;margin:2em;%s}a.button{display:inline-block;padding:.5em 2em;margin-right:1em;
                border:2px solid currentColor;text-decoration:none;color:inherit}a.primary{background:#0067b8;color:#fff;border-color:#0067b8}</style>
                </head><body>
                <h1>Terms of use</h1>
                <p>Signed in as <b>%s</b>.</p>
                <p id="terms">%s</p>
                <p><a class="button primary" id="accept" href="%s">Accept</a>%s</p>
                </body></html>
                """.formatted(dark ? "background:#004275;color:#fff" : "background:#fff;color:#000", SafeXml.escape(user.userPrincipalName()),
                SafeXml.escape(settings.termsOfUse()), SafeXml.escape(withQuery(redirectUri, accept)),
                entraJoin ? "" : "<a class=\"button\" id=\"decline\" href=\"" + SafeXml.escape(withQuery(redirectUri, decline)) + "\">Decline</a>");
        return DeviceResponse.of(200, "text/html; charset=utf-8", page.getBytes(StandardCharsets.UTF_8))
                .withHeader("Cache-Control", "no-store")
                .withHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *");
    }

    /** The error redirect of the protocol's error table. */
    private static DeviceResponse error(String redirectUri, Optional<String> requestId, String error, String description) {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("error", error);
        parameters.put("error_description", description);
        requestId.ifPresent(id -> parameters.put("client-request-id", id));
        return DeviceResponse.empty(302).withHeader("Location", withQuery(redirectUri, parameters)).withHeader("Cache-Control", "no-store");
    }

    private static String withQuery(String uri, Map<String, String> parameters) {
        String query = parameters.entrySet().stream().map(entry -> entry.getKey() + "=" + encode(entry.getValue()))
                .collect(Collectors.joining("&"));
        return uri + (uri.contains("?") ? "&" : "?") + query;
    }

    private static String encode(String value) {
        // Windows' example writes spaces as %20.
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Which terms were accepted, for the enrollment that follows: the SHA-256 of their text. */
    static String termsDigest(String terms) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(terms.getBytes(StandardCharsets.UTF_8)))
                    .toLowerCase(Locale.ROOT);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }
}
