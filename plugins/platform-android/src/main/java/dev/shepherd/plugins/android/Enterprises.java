package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.google.GoogleException;
import dev.shepherd.google.ServiceAccount;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The Android Enterprise this Shepherd manages, bound through Google's signup flow: Shepherd asks for a signup URL
 * whose callback carries a one-time state of ours, the admin completes Google's page, Google sends the browser back
 * with an {@code enterpriseToken}, and Shepherd creates the enterprise with it. Also keeps the secret that
 * authenticates Google's Pub/Sub pushes, generated once per installation and stored sealed.
 */
@Singleton
public final class Enterprises {

    static final String CALLBACK_PATH = "/signup-callback";
    private static final String ENTERPRISE_KEY = "enterprise";
    private static final String SIGNUP_PREFIX = "signup/";
    private static final String PUSH_SECRET_KEY = "pubsub-secret";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final PluginStorage storage;
    private final SecretSealer sealer;
    private final Amapi amapi;
    private final AndroidServiceAccountKeys keys;
    private final AndroidSettings settings;
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    public Enterprises(PluginStorage storage, SecretSealer sealer, Amapi amapi, AndroidServiceAccountKeys keys, AndroidPluginContext context) {
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
        this.amapi = requireNonNull(amapi, "amapi is null");
        this.keys = requireNonNull(keys, "keys is null");
        this.settings = requireNonNull(context, "context is null").settings();
    }

    /** @return the bound enterprise's resource name, such as {@code enterprises/LC01abcd}, if bound */
    public Optional<String> bound() {
        return storage.get(ENTERPRISE_KEY).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
    }

    /** @return the enterprise, or a refusal saying what is missing */
    public String require() throws GoogleException {
        return bound().orElseThrow(() -> new GoogleException(0, "No Android Enterprise is bound yet; start the signup at "
                + "/api/v1/plugins/android/enterprise.", false));
    }

    /**
     * Starts binding: a signup URL from Google, with our callback and a fresh state remembered for it.
     *
     * @param callbackBase the public URL of this plugin's device endpoints, such as {@code https://mdm.example.com/mdm/android}
     * @return the URL the admin opens
     */
    public String startSignup(String callbackBase) throws GoogleException {
        String state = randomToken();
        JsonNode signup = amapi.createSignupUrl(projectId(), callbackBase + CALLBACK_PATH + "?state=" + state);
        String name = signup.path("name").asText("");
        String url = signup.path("url").asText("");
        if (name.isBlank() || url.isBlank()) {
            throw new GoogleException(200, "Google's signup URL answer lacks its name or url", true);
        }
        storage.put(SIGNUP_PREFIX + state, name.getBytes(StandardCharsets.UTF_8));
        return url;
    }

    /**
     * Completes binding with what Google's page handed back.
     *
     * @param state our state from the callback URL; used up
     * @param enterpriseToken Google's token from the callback URL
     * @return the new enterprise's name
     * @throws IllegalArgumentException when the state is not one we issued, or was used already
     */
    public String completeSignup(String state, String enterpriseToken) throws GoogleException {
        if (!state.matches("[A-Za-z0-9_-]{20,100}")) {
            throw new IllegalArgumentException("unknown signup");
        }
        Optional<byte[]> signupName = storage.get(SIGNUP_PREFIX + state);
        if (signupName.isEmpty()) {
            throw new IllegalArgumentException("unknown signup");
        }
        ObjectNode enterprise = json.createObjectNode();
        settings.pubsubTopic().ifPresent(topic -> {
            enterprise.put("pubsubTopic", topic);
            enterprise.putArray("enabledNotificationTypes").add("ENROLLMENT").add("STATUS_REPORT").add("COMMAND");
        });
        JsonNode created = amapi.createEnterprise(projectId(), new String(signupName.get(), StandardCharsets.UTF_8), enterpriseToken, enterprise);
        String name = created.path("name").asText("");
        if (!Amapi.isResourceName(name)) {
            throw new GoogleException(200, "Google created an enterprise without a usable name: " + name, false);
        }
        storage.delete(SIGNUP_PREFIX + state);
        storage.put(ENTERPRISE_KEY, name.getBytes(StandardCharsets.UTF_8));
        return name;
    }

    /**
     * Binds an enterprise that exists already, such as one made for this project before, once Google confirms it
     * ({@code enterprises.get}) so that a mistyped ID is refused at once rather than failing every device later.
     *
     * @throws GoogleException when Google does not know the enterprise (404) or refuses this service account
     */
    public void bind(String enterpriseName) throws GoogleException {
        requireNonNull(enterpriseName, "enterpriseName is null");
        JsonNode enterprise = amapi.getEnterprise(enterpriseName);
        if (!enterpriseName.equals(enterprise.path("name").asText(enterpriseName))) {
            throw new GoogleException(200, "Google answered for " + enterprise.path("name").asText() + " when asked for " + enterpriseName, false);
        }
        storage.put(ENTERPRISE_KEY, enterpriseName.getBytes(StandardCharsets.UTF_8));
    }

    /** Forgets the binding (the enterprise itself stays at Google until an admin deletes it there). */
    public boolean unbind() {
        return storage.delete(ENTERPRISE_KEY);
    }

    /** @return the Cloud project: the setting, else the service account's */
    public String projectId() throws GoogleException {
        Optional<String> configured = settings.projectId();
        if (configured.isPresent()) {
            return configured.get();
        }
        return keys.current().map(ServiceAccount::projectId)
                .orElseThrow(() -> new GoogleException(0, "No service-account key has been uploaded.", false));
    }

    /** @return the secret Google's pushes carry in their URL, made on first use */
    public synchronized String pushSecret() {
        Optional<byte[]> sealed = storage.get(PUSH_SECRET_KEY);
        if (sealed.isPresent()) {
            return new String(sealer.open(sealed.get()), StandardCharsets.UTF_8);
        }
        String secret = randomToken();
        storage.put(PUSH_SECRET_KEY, sealer.seal(secret.getBytes(StandardCharsets.UTF_8)));
        return secret;
    }

    /** @return whether a push presented the right secret, compared in constant time */
    public boolean isPushSecret(String presented) {
        return MessageDigest.isEqual(pushSecret().getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8));
    }

    static String randomToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
