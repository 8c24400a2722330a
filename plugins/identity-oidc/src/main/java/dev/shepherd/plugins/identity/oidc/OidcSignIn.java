package dev.shepherd.plugins.identity.oidc;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.GeneralException;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.ClientSecretPost;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.UserInfoRequest;
import com.nimbusds.openid.connect.sdk.UserInfoResponse;
import com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet;
import com.nimbusds.openid.connect.sdk.claims.UserInfo;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import dev.shepherd.api.http.RequestRefusedException;
import dev.shepherd.api.identity.Identity;
import dev.shepherd.api.identity.SignInRequest;
import dev.shepherd.api.identity.SignInStart;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The OpenID Connect relying party (OpenID Connect Core 1.0, authorization code flow) behind the "Sign in with …"
 * button, on the Nimbus OAuth 2.0 SDK:
 * <ul>
 * <li>the provider's metadata from discovery ({@code <issuer>/.well-known/openid-configuration}), kept for
 *     {@code discoveryRefresh} and read again after (the last good copy is kept while the provider cannot be reached);</li>
 * <li>an authorization request with the kernel's {@code state}, a fresh {@code nonce} and a PKCE S256 challenge
 *     (RFC 7636), both secrets going back to the kernel as the pending secret;</li>
 * <li>the code exchanged at the token endpoint with the PKCE verifier, and the client secret (basic or post) of a
 *     confidential client;</li>
 * <li>the ID token validated by Nimbus' {@link IDTokenValidator}: signature with the provider's keys (JWKS, re-read
 *     when a token names a key id the cached set lacks, so the provider can rotate its keys), issuer, audience
 *     and authorized party, expiry and issue time (a minute's skew), and the nonce;</li>
 * <li>optionally the userinfo endpoint, whose {@code sub} must be the ID token's.</li>
 * </ul>
 * Every refusal is a {@link RequestRefusedException} whose words say why, without tokens or codes.
 */
final class OidcSignIn {

    private static final Logger log = LoggerFactory.getLogger(OidcSignIn.class);
    /** The asymmetric JWS algorithms an ID token may be signed with (HS* would need the client secret as the key). */
    private static final Set<JWSAlgorithm> ASYMMETRIC = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512, JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512,
            JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519);
    private static final int MAX_GROUPS = 1000;
    private static final int MAX_GROUP_CHARS = 200;
    /** The largest JWKS or discovery document read. */
    private static final int MAX_DOCUMENT_BYTES = 256 * 1024;

    /** The discovered provider and the validator of its ID tokens, as of one read of the discovery document. */
    private record Discovered(OIDCProviderMetadata metadata, IDTokenValidator validator, Instant readAt) {
    }

    private final OidcSettings settings;
    private final ClientSecrets secrets;
    private final Clock clock;
    private volatile Discovered discovered;

    OidcSignIn(OidcSettings settings, ClientSecrets secrets, Clock clock) {
        this.settings = requireNonNull(settings, "settings is null");
        this.secrets = requireNonNull(secrets, "secrets is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** @return whether an issuer is set, so sign-ins can be tried */
    boolean configured() {
        return settings.issuer().isPresent();
    }

    SignInStart begin(SignInRequest request) {
        Discovered provider = discovered();
        CodeVerifier verifier = new CodeVerifier();
        Nonce nonce = new Nonce();
        AuthenticationRequest authentication = new AuthenticationRequest.Builder(ResponseType.CODE,
                new Scope(settings.scopes().toArray(String[]::new)), new ClientID(settings.clientId()), request.redirectUri())
                .endpointURI(provider.metadata().getAuthorizationEndpointURI())
                .state(new State(request.state()))
                .nonce(nonce)
                .codeChallenge(verifier, CodeChallengeMethod.S256)
                .build();
        return new SignInStart(authentication.toURI(), new Pending(verifier.getValue(), nonce.getValue()).encoded());
    }

    Identity complete(SignInRequest request, Map<String, String> parameters, String pendingText) {
        Pending pending = Pending.decode(pendingText);
        if (parameters.containsKey("error")) {
            throw refused("the identity provider refused the sign-in (" + clip(parameters.get("error")) + ")");
        }
        String code = parameters.get("code");
        if (code == null || code.isBlank()) {
            throw refused("the identity provider sent no authorization code");
        }
        Discovered provider = discovered();
        // RFC 9207: a provider that names itself on the callback must be the one the sign-in was sent to.
        String issuerParameter = parameters.get("iss");
        if (issuerParameter != null && !issuerParameter.equals(provider.metadata().getIssuer().getValue())) {
            throw refused("the callback comes from another issuer");
        }
        OIDCTokenResponse tokens = exchange(provider, request, code, pending);
        JWT idToken = tokens.getOIDCTokens().getIDToken();
        if (idToken == null) {
            throw refused("the token response holds no ID token");
        }
        IDTokenClaimsSet claims;
        try {
            claims = provider.validator().validate(idToken, new Nonce(pending.nonce()));
        } catch (BadJOSEException e) {
            throw refused("the ID token is not valid: " + clip(e.getMessage()));
        } catch (JOSEException e) {
            throw refused("the ID token cannot be checked: " + clip(e.getMessage()));
        }
        Map<String, Object> all;
        try {
            all = new LinkedHashMap<>(claims.toJWTClaimsSet().getClaims());
        } catch (ParseException e) {
            throw refused("the ID token's claims cannot be read");
        }
        if (settings.userInfo()) {
            all.putAll(userInfo(provider, tokens.getOIDCTokens().getBearerAccessToken(), claims.getSubject().getValue()));
        }
        return identity(all);
    }

    private OIDCTokenResponse exchange(Discovered provider, SignInRequest request, String code, Pending pending) {
        URI endpoint = provider.metadata().getTokenEndpointURI();
        AuthorizationCodeGrant grant = new AuthorizationCodeGrant(new AuthorizationCode(code), request.redirectUri(),
                new CodeVerifier(pending.verifier()));
        ClientID clientId = new ClientID(settings.clientId());
        Optional<String> secret = secrets.secret();
        TokenRequest tokenRequest = secret.isEmpty() ? new TokenRequest(endpoint, clientId, grant)
                : new TokenRequest(endpoint, settings.clientAuthentication() == OidcSettings.ClientAuthentication.CLIENT_SECRET_POST
                ? new ClientSecretPost(clientId, new Secret(secret.get())) : new ClientSecretBasic(clientId, new Secret(secret.get())), grant);
        TokenResponse response;
        try {
            response = OIDCTokenResponseParser.parse(send(tokenRequest.toHTTPRequest()));
        } catch (IOException e) {
            throw new RequestRefusedException(503, "the identity provider's token endpoint cannot be reached");
        } catch (ParseException e) {
            throw refused("the identity provider's token response is not OpenID Connect's");
        }
        if (!response.indicatesSuccess()) {
            ErrorObject error = response.toErrorResponse().getErrorObject();
            throw refused("the identity provider did not issue tokens (" + clip(error.getCode()) + ")");
        }
        if (!(response.toSuccessResponse() instanceof OIDCTokenResponse oidc)) {
            throw refused("the identity provider's token response holds no ID token");
        }
        return oidc;
    }

    private Map<String, Object> userInfo(Discovered provider, BearerAccessToken accessToken, String subject) {
        URI endpoint = provider.metadata().getUserInfoEndpointURI();
        if (endpoint == null || accessToken == null) {
            throw refused("userInfo is on, but the identity provider has no userinfo endpoint or gave no access token");
        }
        try {
            UserInfoResponse response = UserInfoResponse.parse(send(new UserInfoRequest(endpoint, accessToken).toHTTPRequest()));
            if (!response.indicatesSuccess()) {
                throw refused("the identity provider's userinfo endpoint refused (" + clip(response.toErrorResponse().getErrorObject().getCode()) + ")");
            }
            UserInfo info = response.toSuccessResponse().getUserInfo();
            // OpenID Connect Core 1.0, 5.3.2: the userinfo sub must be verified to match the ID token's.
            if (info == null || !subject.equals(info.getSubject().getValue())) {
                throw refused("the userinfo is about someone else than the ID token");
            }
            return info.toJSONObject();
        } catch (IOException e) {
            throw new RequestRefusedException(503, "the identity provider's userinfo endpoint cannot be reached");
        } catch (ParseException e) {
            throw refused("the identity provider's userinfo response cannot be read");
        }
    }

    private Identity identity(Map<String, Object> claims) {
        Object username = claims.get(settings.usernameClaim());
        if (!(username instanceof String name) || name.isBlank() || name.length() > 200) {
            throw refused("the identity provider did not name the person in the '" + settings.usernameClaim() + "' claim");
        }
        Object displayName = claims.get("name");
        Object email = claims.get("email");
        return new Identity(settings.providerId(), name,
                displayName instanceof String text && !text.isBlank() && text.length() <= 200 ? text : name,
                email instanceof String address && address.contains("@") && address.length() <= 320 ? address : "",
                groups(claims.get(settings.groupsClaim())));
    }

    private Set<String> groups(Object claim) {
        Set<String> groups = new LinkedHashSet<>();
        if (claim == null) {
            return groups;
        }
        Collection<?> values = claim instanceof Collection<?> many ? many : List.of(claim);
        if (values.size() > MAX_GROUPS) {
            throw refused("the '" + settings.groupsClaim() + "' claim lists more than " + MAX_GROUPS + " groups");
        }
        for (Object value : values) {
            if (!(value instanceof String group) || group.isBlank() || group.length() > MAX_GROUP_CHARS) {
                throw refused("the '" + settings.groupsClaim() + "' claim holds something that is not a group name");
            }
            groups.add(group);
        }
        return groups;
    }

    /** The discovered provider, read again once it is older than {@code discoveryRefresh}. */
    private Discovered discovered() {
        Discovered current = discovered;
        if (current != null && clock.instant().isBefore(current.readAt().plus(settings.discoveryRefresh()))) {
            return current;
        }
        synchronized (this) {
            current = discovered;
            if (current != null && clock.instant().isBefore(current.readAt().plus(settings.discoveryRefresh()))) {
                return current;
            }
            try {
                discovered = discover();
                return discovered;
            } catch (RequestRefusedException e) {
                if (current == null) {
                    throw e;
                }
                // The provider is down for a moment: the last good metadata and keys still hold.
                log.warn("Cannot read the OpenID provider's metadata again, keeping the copy from {}: {}", current.readAt(), e.getMessage());
                return current;
            }
        }
    }

    private Discovered discover() {
        URI issuer = settings.issuer().orElseThrow(() -> new RequestRefusedException(503,
                "single sign-on is not set up: the identity-oidc plugin has no issuer"));
        int timeout = (int) settings.httpTimeout().toMillis();
        OIDCProviderMetadata metadata;
        try {
            metadata = OIDCProviderMetadata.resolve(new Issuer(issuer), timeout, timeout);
        } catch (GeneralException | IOException e) {
            log.warn("Cannot read the OpenID provider's metadata from {}: {}", issuer, e.getMessage());
            throw new RequestRefusedException(503, "the identity provider cannot be reached");
        }
        Set<JWSAlgorithm> algorithms = new LinkedHashSet<>();
        if (metadata.getIDTokenJWSAlgs() != null) {
            metadata.getIDTokenJWSAlgs().stream().filter(ASYMMETRIC::contains).forEach(algorithms::add);
        }
        if (algorithms.isEmpty() || metadata.getJWKSetURI() == null || metadata.getAuthorizationEndpointURI() == null
                || metadata.getTokenEndpointURI() == null) {
            throw new RequestRefusedException(503, "the identity provider's metadata lacks endpoints, keys or an asymmetric ID token algorithm");
        }
        JWKSource<SecurityContext> keys;
        try {
            // A token naming a key id the cached set lacks makes the set be read again (a rotation), at most once a
            // second; tokens reach this validator only from the token endpoint, never from the browser.
            keys = JWKSourceBuilder.<SecurityContext>create(metadata.getJWKSetURI().toURL(),
                            new DefaultResourceRetriever(timeout, timeout, MAX_DOCUMENT_BYTES))
                    .cache(settings.discoveryRefresh().toMillis(), timeout)
                    .rateLimited(1000)
                    .build();
        } catch (MalformedURLException e) {
            throw new RequestRefusedException(503, "the identity provider's JWKS address is not a URL");
        }
        IDTokenValidator validator = new IDTokenValidator(metadata.getIssuer(), new ClientID(settings.clientId()),
                new JWSVerificationKeySelector<>(algorithms, keys), null);
        log.info("Read the OpenID provider's metadata from {}", issuer);
        return new Discovered(metadata, validator, clock.instant());
    }

    private HTTPResponse send(HTTPRequest request) throws IOException {
        int timeout = (int) settings.httpTimeout().toMillis();
        request.setConnectTimeout(timeout);
        request.setReadTimeout(timeout);
        return request.send();
    }

    private static RequestRefusedException refused(String why) {
        return new RequestRefusedException(401, why);
    }

    private static String clip(String text) {
        if (text == null) {
            return "no reason given";
        }
        String printable = text.replaceAll("\\p{Cntrl}", " ");
        return printable.length() > 200 ? printable.substring(0, 200) + "…" : printable;
    }

    /** What {@link #begin} hands the kernel to keep, and {@link #complete} gets back: the PKCE verifier and the nonce. */
    record Pending(String verifier, String nonce) {
        /** Both are base64url text (RFC 7636, 4.1; Nimbus' nonces), so a space separates them unambiguously. */
        String encoded() {
            return verifier + " " + nonce;
        }

        static Pending decode(String text) {
            String[] parts = requireNonNull(text, "text is null").split(" ");
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                throw refused("the sign-in's pending secret is malformed");
            }
            return new Pending(parts[0], parts[1]);
        }
    }
}
