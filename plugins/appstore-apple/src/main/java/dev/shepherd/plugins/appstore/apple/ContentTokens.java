package dev.shepherd.plugins.appstore.apple;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * The location's content token, uploaded by an admin: checked with Apple ({@code client/config}) before it is kept,
 * stored sealed with the server's key in the plugin's storage, and watched for expiry (Apple's tokens last a year; an
 * expired one stops every licence assignment). The token itself is never returned or logged; admins see the
 * organisation, the location, the expiry and a warning from {@link #WARN_BEFORE} before it.
 */
@Singleton
public final class ContentTokens {

    /** How long before expiry admins are warned. */
    public static final Duration WARN_BEFORE = Duration.ofDays(30);
    static final String TOKEN_KEY = "content-token/sealed";
    private static final String LOCATION_KEY = "content-token/location";
    /** This server's identity towards Apple, so another MDM taking over the location shows. */
    private static final String MDM_ID_KEY = "mdm-id";
    private static final String MDM_NAME = "Shepherd";

    private final VppClient client;
    private final VppSettings settings;
    private final PluginStorage storage;
    private final SecretSealer sealer;
    private final Clock clock;
    private final String pluginVersion;

    /** An uploaded token as admins see it. */
    public record Status(String organisation, String location, Instant expiresAt, long daysLeft, Optional<String> warning) {
        /** Validates every part. */
        public Status {
            requireNonNull(organisation, "organisation is null");
            requireNonNull(location, "location is null");
            requireNonNull(expiresAt, "expiresAt is null");
            requireNonNull(warning, "warning is null");
        }
    }

    /** Another MDM is recorded as managing the token's location; Apple says only one may. */
    public static final class ManagedElsewhereException extends Exception {
        ManagedElsewhereException(String message) {
            super(message);
        }
    }

    @Inject
    public ContentTokens(PluginConfig config, PluginIdentity identity, PluginStorage storage, SecretSealer sealer, Clock clock) {
        this(VppSettings.from(requireNonNull(config, "config is null")), storage, sealer, clock, requireNonNull(identity, "identity is null").version());
    }

    /**
     * @param settings where Apple is
     * @param pluginVersion recorded with this server's MDM information at Apple
     */
    public ContentTokens(VppSettings settings, PluginStorage storage, SecretSealer sealer, Clock clock, String pluginVersion) {
        this.settings = requireNonNull(settings, "settings is null");
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.pluginVersion = requireNonNull(pluginVersion, "pluginVersion is null");
        this.client = new VppClient(settings, VppClient.newHttpClient(), clock);
    }

    /** @return the client every call to Apple goes through */
    public VppClient client() {
        return client;
    }

    /** @return the plugin's settings */
    public VppSettings settings() {
        return settings;
    }

    /**
     * Checks a content token with Apple and keeps it, replacing any previous one, and records this server as the
     * location's MDM.
     *
     * @param text the content token file's text
     * @param takeOver whether to manage the location even though another MDM is recorded for it
     * @return the token's status
     * @throws IllegalArgumentException with a reason fit for the admin when the text is not a usable token
     * @throws VppException when Apple refuses the token ({@link VppException#tokenRejected()}) or cannot be reached
     * @throws ManagedElsewhereException when another MDM manages the location and {@code takeOver} is false
     */
    public Status upload(String text, boolean takeOver) throws VppException, InterruptedException, ManagedElsewhereException {
        ContentToken token = ContentToken.parse(text);
        if (!token.expiresAt().isAfter(clock.instant())) {
            throw new IllegalArgumentException("the content token expired on " + token.expiresAt()
                    + ": download a new one from Apple Business or School Manager");
        }
        VppClient.ClientConfig location = client.clientConfig(token);
        String mdmId = mdmId();
        Optional<VppClient.MdmInfo> manager = location.mdmInfo();
        if (manager.isPresent() && !manager.get().id().equals(mdmId) && !takeOver) {
            throw new ManagedElsewhereException("the location " + location.locationName() + " is managed by another MDM ("
                    + manager.get().name() + "); Apple lets only one manage a location: move it here only when that one has stopped (takeOver=true)");
        }
        client.registerMdm(token, new VppClient.MdmInfo(mdmId, MDM_NAME, "appstore-apple " + pluginVersion));
        storage.put(TOKEN_KEY, sealer.seal(token.value().getBytes(StandardCharsets.UTF_8)));
        storage.put(LOCATION_KEY, location.locationName().getBytes(StandardCharsets.UTF_8));
        return status(token, location.locationName());
    }

    /** @return the uploaded token's status, empty when none is uploaded */
    public Optional<Status> status() {
        return token().map(token -> status(token, storage.get(LOCATION_KEY).map(name -> new String(name, StandardCharsets.UTF_8)).orElse("")));
    }

    /** @return the uploaded token, opened; empty when none is uploaded */
    public Optional<ContentToken> token() {
        return storage.get(TOKEN_KEY).map(sealed -> ContentToken.parse(new String(sealer.open(sealed), StandardCharsets.UTF_8)));
    }

    /** @return whether there was a token to remove */
    public boolean remove() {
        storage.delete(LOCATION_KEY);
        return storage.delete(TOKEN_KEY);
    }

    private Status status(ContentToken token, String location) {
        Instant now = clock.instant();
        long daysLeft = Math.max(0, Duration.between(now, token.expiresAt()).toDays());
        Optional<String> warning = Optional.empty();
        if (!token.expiresAt().isAfter(now)) {
            warning = Optional.of("The content token of " + token.organisation() + " expired on " + token.expiresAt()
                    + ": licences can no longer be assigned or revoked. Download a new one from Apple Business or School Manager and upload it.");
        } else if (!token.expiresAt().isAfter(now.plus(WARN_BEFORE))) {
            warning = Optional.of("The content token of " + token.organisation() + " expires in " + daysLeft + " days (" + token.expiresAt()
                    + "): download a new one from Apple Business or School Manager and upload it.");
        }
        return new Status(token.organisation(), location, token.expiresAt(), daysLeft, warning);
    }

    private String mdmId() {
        Optional<byte[]> stored = storage.get(MDM_ID_KEY);
        if (stored.isPresent()) {
            return new String(stored.get(), StandardCharsets.UTF_8);
        }
        String id = UUID.randomUUID().toString();
        storage.put(MDM_ID_KEY, id.getBytes(StandardCharsets.UTF_8));
        return id;
    }
}
