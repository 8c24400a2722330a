package dev.shepherd.plugins.identity.oidc;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.http.RequestRefusedException;
import dev.shepherd.api.identity.Identity;
import dev.shepherd.api.identity.SignInProvider;
import dev.shepherd.api.identity.SignInRequest;
import dev.shepherd.api.identity.SignInStart;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * "Sign in with …" through an OpenID Connect provider, for the console and the portal. Without an {@code issuer}
 * the plugin offers no button. With settings that are wrong, the button is still offered (under the configured or
 * default id) and a sign-in is refused saying which setting is wrong, so the operator sees it where admins sign in and
 * in the log.
 */
@Extension
public final class OidcSignInProvider implements SignInProvider {

    private static final Logger log = LoggerFactory.getLogger(OidcSignInProvider.class);

    private final String id;
    private final String displayName;
    private final Optional<OidcSignIn> signIn;
    private final String misconfiguration;

    @Inject
    public OidcSignInProvider(PluginConfig config, ClientSecrets secrets, Clock clock) {
        requireNonNull(config, "config is null");
        requireNonNull(secrets, "secrets is null");
        requireNonNull(clock, "clock is null");
        OidcSettings settings = null;
        String problem = "";
        try {
            settings = OidcSettings.from(config);
        } catch (IllegalArgumentException e) {
            problem = e.getMessage();
            log.warn("The identity-oidc plugin's settings are wrong, so its sign-ins are refused: {}", problem);
        }
        this.signIn = Optional.ofNullable(settings).map(valid -> new OidcSignIn(valid, secrets, clock));
        this.id = settings != null ? settings.providerId() : "oidc";
        this.displayName = settings != null ? settings.displayName() : "Sign in with single sign-on";
        this.misconfiguration = problem;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String displayName() {
        return displayName;
    }

    /** Offered once an issuer is set, and also while the settings are wrong, so the refusal says which one. */
    @Override
    public boolean available() {
        return signIn.map(OidcSignIn::configured).orElse(true);
    }

    @Override
    public SignInStart begin(SignInRequest request) {
        return configured().begin(request);
    }

    @Override
    public Identity complete(SignInRequest request, Map<String, String> callbackParameters, String pending) {
        return configured().complete(request, callbackParameters, pending);
    }

    private OidcSignIn configured() {
        return signIn.orElseThrow(() -> new RequestRefusedException(503, "single sign-on is not set up right: " + misconfiguration));
    }
}
