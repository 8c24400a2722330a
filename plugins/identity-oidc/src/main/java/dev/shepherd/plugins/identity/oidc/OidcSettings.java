package dev.shepherd.plugins.identity.oidc;

import dev.shepherd.api.config.PluginConfig;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The plugin's settings, from {@code plugins.config.identity-oidc}.
 *
 * @param providerId the sign-in provider id (routes, role mappings, the accounts its sign-ins create); {@code oidc}
 *        unless set
 * @param displayName the button's words
 * @param issuer the OpenID provider's issuer identifier; its {@code .well-known/openid-configuration} is read.
 *        Empty while the plugin is not configured: it then offers a button that explains so
 * @param clientId the client id registered with the provider
 * @param clientAuthentication how the client secret (when one is set) is sent to the token endpoint
 * @param scopes the scopes asked for; {@code openid} always among them
 * @param groupsClaim the claim holding the person's groups
 * @param usernameClaim the claim naming the person: {@code preferred_username}, {@code email} or {@code upn}
 * @param userInfo whether the userinfo endpoint is read too (for providers that put groups there only)
 * @param discoveryRefresh how long the discovery document is kept before it is read again
 * @param httpTimeout how long a call to the provider may take
 */
public record OidcSettings(String providerId, String displayName, Optional<URI> issuer, String clientId, ClientAuthentication clientAuthentication,
                           Set<String> scopes, String groupsClaim, String usernameClaim, boolean userInfo, Duration discoveryRefresh,
                           Duration httpTimeout) {

    /** How a confidential client proves itself at the token endpoint (RFC 6749, 2.3.1). */
    public enum ClientAuthentication {
        /** HTTP Basic with the client id and secret. */
        CLIENT_SECRET_BASIC,
        /** The client id and secret in the form body. */
        CLIENT_SECRET_POST
    }

    private static final Pattern PROVIDER_ID = Pattern.compile("[a-z][a-z0-9-]{0,62}");
    private static final Set<String> USERNAME_CLAIMS = Set.of("preferred_username", "email", "upn");
    private static final Pattern SCOPE = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,100}");

    /** Checks every part. */
    public OidcSettings {
        requireNonNull(providerId, "providerId is null");
        requireNonNull(displayName, "displayName is null");
        requireNonNull(issuer, "issuer is null");
        requireNonNull(clientId, "clientId is null");
        requireNonNull(clientAuthentication, "clientAuthentication is null");
        scopes = Set.copyOf(scopes);
        requireNonNull(groupsClaim, "groupsClaim is null");
        requireNonNull(usernameClaim, "usernameClaim is null");
        requireNonNull(discoveryRefresh, "discoveryRefresh is null");
        requireNonNull(httpTimeout, "httpTimeout is null");
        if (!PROVIDER_ID.matcher(providerId).matches() || providerId.equals("local")) {
            throw new IllegalArgumentException("providerId must be lower-case letters, digits and -, starting with a letter, and not 'local'");
        }
        if (displayName.isBlank() || displayName.length() > 100) {
            throw new IllegalArgumentException("displayName must be 1 to 100 characters");
        }
        if (issuer.isPresent()) {
            URI uri = issuer.get();
            boolean loopback = "http".equals(uri.getScheme()) && ("127.0.0.1".equals(uri.getHost()) || "localhost".equals(uri.getHost()));
            // OpenID Connect Discovery 1.0, 2: the issuer is an https URL without query or fragment (http only on this machine, for tests).
            if (!("https".equals(uri.getScheme()) || loopback) || uri.getHost() == null || uri.getQuery() != null || uri.getFragment() != null) {
                throw new IllegalArgumentException("issuer must be an https URL without query or fragment");
            }
            if (clientId.isBlank()) {
                throw new IllegalArgumentException("clientId is required with an issuer");
            }
        }
        if (!scopes.contains("openid") || !scopes.stream().allMatch(scope -> SCOPE.matcher(scope).matches())) {
            throw new IllegalArgumentException("scopes must include openid and be separated by spaces");
        }
        if (groupsClaim.isBlank() || groupsClaim.length() > 100) {
            throw new IllegalArgumentException("groupsClaim must be 1 to 100 characters");
        }
        if (!USERNAME_CLAIMS.contains(usernameClaim)) {
            throw new IllegalArgumentException("usernameClaim must be preferred_username, email or upn");
        }
        if (discoveryRefresh.compareTo(Duration.ofMinutes(1)) < 0 || httpTimeout.isNegative() || httpTimeout.isZero()
                || httpTimeout.compareTo(Duration.ofSeconds(30)) > 0) {
            throw new IllegalArgumentException("discoveryRefresh must be at least a minute, httpTimeout at most 30 seconds");
        }
    }

    /**
     * Reads the settings.
     *
     * @throws IllegalArgumentException naming the setting that is wrong
     */
    public static OidcSettings from(PluginConfig config) {
        requireNonNull(config, "config is null");
        Optional<URI> issuer = config.get("issuer").map(String::strip).filter(value -> !value.isEmpty()).map(value -> {
            try {
                return URI.create(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("issuer is not a URL");
            }
        });
        Set<String> scopes = new LinkedHashSet<>(Arrays.asList(config.get("scopes", "openid profile email").strip().split("\\s+")));
        ClientAuthentication authentication;
        try {
            authentication = ClientAuthentication.valueOf(config.get("clientAuthentication", "client_secret_basic").strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("clientAuthentication must be client_secret_basic or client_secret_post");
        }
        return new OidcSettings(config.get("providerId", "oidc").strip(), config.get("displayName", "Sign in with single sign-on").strip(),
                issuer, config.get("clientId", "").strip(), authentication, scopes, config.get("groupsClaim", "groups").strip(),
                config.get("usernameClaim", "preferred_username").strip(), Boolean.parseBoolean(config.get("userInfo", "false").strip()),
                config.getDuration("discoveryRefresh", Duration.ofHours(1)), config.getDuration("httpTimeout", Duration.ofSeconds(10)));
    }
}
