package dev.shepherd.plugins.threat.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The sources admins define: each sender (a Zimperium console, a CrowdStrike workflow, a Wazuh manager) with its own
 * name (in its delivery URL and in the vendor device ids it reports), its own payload mapping and its own signing
 * secrets, kept in the plugin's storage with every secret sealed by the kernel's {@link SecretSealer}. A rotation
 * makes a new secret current and keeps the previous one valid for a grace period, so the sender can switch without
 * a refused delivery; a secret past its grace period is dropped at the next change and never verifies.
 */
@Singleton
final class WebhookSources {

    /** A source as stored: never a secret in the clear. */
    record Source(String name, String displayName, ObjectNode mapping, Instant created, List<SealedSecret> secrets) {
        Source {
            requireNonNull(name, "name is null");
            requireNonNull(displayName, "displayName is null");
            requireNonNull(mapping, "mapping is null");
            requireNonNull(created, "created is null");
            secrets = List.copyOf(requireNonNull(secrets, "secrets is null"));
        }

        PayloadMapping payloadMapping() {
            return PayloadMapping.parse(mapping);
        }
    }

    /** One sealed signing secret: current when it has no end, or in its grace period until {@code retiresAt}. */
    record SealedSecret(byte[] sealed, Instant added, Optional<Instant> retiresAt) {
        SealedSecret {
            sealed = requireNonNull(sealed, "sealed is null").clone();
            requireNonNull(added, "added is null");
            requireNonNull(retiresAt, "retiresAt is null");
        }

        @Override
        public byte[] sealed() {
            return sealed.clone();
        }

        boolean validAt(Instant now) {
            return retiresAt.map(now::isBefore).orElse(true);
        }

        @Override
        public String toString() {
            return "SealedSecret[added=" + added + ", retiresAt=" + retiresAt + "]";
        }
    }

    /** A source with the secret an admin sees this once, when the server generated it. */
    record WithSecret(Source source, Optional<String> shownOnce) {
        WithSecret {
            requireNonNull(source, "source is null");
            requireNonNull(shownOnce, "shownOnce is null");
        }

        @Override
        public String toString() {
            return "WithSecret[" + source + ", secret hidden]";
        }
    }

    static final Pattern NAME = Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?");
    static final Duration DEFAULT_GRACE = Duration.ofHours(24);
    static final Duration MAX_GRACE = Duration.ofDays(7);
    static final int MAX_SOURCES = 100;
    private static final String PREFIX = "source/";

    private final PluginStorage storage;
    private final SecretSealer sealer;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    @Inject
    WebhookSources(PluginStorage storage, SecretSealer sealer, Clock clock) {
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * @param name lower-case letters, digits and inner dashes, at most 40 characters
     * @param displayName what admins read
     * @param mapping the payload mapping, or empty for Shepherd's own shape
     * @param secret the secret the sender already has ({@code whsec_...}), or empty for a new one shown once
     * @return the source, or empty when a source has that name already
     * @throws IllegalArgumentException with words for the admin when a part is wrong
     */
    Optional<WithSecret> create(String name, String displayName, Optional<JsonNode> mapping, Optional<String> secret) {
        requireValidName(name);
        if (all().size() >= MAX_SOURCES) {
            throw new IllegalArgumentException("there are " + MAX_SOURCES + " sources already, the most one server keeps");
        }
        ObjectNode definition = mapping.map(PayloadMapping::parse).orElseGet(PayloadMapping::shepherdDefault).definition();
        WebhookSecret signing = secret.map(WebhookSecret::parse).orElseGet(() -> WebhookSecret.generate(random));
        Instant now = now();
        Source source = new Source(name, displayName(displayName, name), definition, now, List.of(seal(signing, now)));
        if (!storage.putIfAbsent(PREFIX + name, encode(source))) {
            return Optional.empty();
        }
        return Optional.of(new WithSecret(source, secret.isPresent() ? Optional.empty() : Optional.of(signing.serialized())));
    }

    /** @return the source after the change, or empty when there is none by that name */
    Optional<Source> update(String name, Optional<String> displayName, Optional<JsonNode> mapping) {
        Optional<Source> existing = find(name);
        if (existing.isEmpty()) {
            return Optional.empty();
        }
        Source before = existing.get();
        Source after = new Source(before.name(), displayName.map(given -> displayName(given, name)).orElse(before.displayName()),
                mapping.map(PayloadMapping::parse).map(PayloadMapping::definition).orElse(before.mapping()), before.created(),
                current(before.secrets()));
        storage.put(PREFIX + name, encode(after));
        return Optional.of(after);
    }

    /**
     * Makes a new secret current; the secrets current until now stay valid for the grace period.
     *
     * @param secret the new secret, or empty for a generated one shown once
     * @param grace how long the previous secrets stay valid, zero to end them at once
     * @return the source with the secret to show, or empty when there is no source by that name
     */
    Optional<WithSecret> rotate(String name, Optional<String> secret, Duration grace) {
        if (grace.isNegative() || grace.compareTo(MAX_GRACE) > 0) {
            throw new IllegalArgumentException("the grace period is 0 to " + MAX_GRACE.toHours() + " hours");
        }
        Optional<Source> existing = find(name);
        if (existing.isEmpty()) {
            return Optional.empty();
        }
        WebhookSecret signing = secret.map(WebhookSecret::parse).orElseGet(() -> WebhookSecret.generate(random));
        Instant now = now();
        Instant ends = now.plus(grace);
        List<SealedSecret> secrets = new ArrayList<>();
        secrets.add(seal(signing, now));
        for (SealedSecret previous : current(existing.get().secrets())) {
            Instant retires = previous.retiresAt().filter(end -> end.isBefore(ends)).orElse(ends);
            if (now.isBefore(retires)) {
                secrets.add(new SealedSecret(previous.sealed(), previous.added(), Optional.of(retires)));
            }
        }
        Source before = existing.get();
        Source after = new Source(before.name(), before.displayName(), before.mapping(), before.created(), secrets);
        storage.put(PREFIX + name, encode(after));
        return Optional.of(new WithSecret(after, secret.isPresent() ? Optional.empty() : Optional.of(signing.serialized())));
    }

    boolean delete(String name) {
        return NAME.matcher(name).matches() && storage.delete(PREFIX + name);
    }

    Optional<Source> find(String name) {
        if (!NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        return storage.get(PREFIX + name).map(WebhookSources::decode);
    }

    List<Source> all() {
        List<Source> all = new ArrayList<>();
        for (String key : storage.keys(PREFIX)) {
            storage.get(key).map(WebhookSources::decode).ifPresent(all::add);
        }
        return all;
    }

    /** @return the secrets a delivery for this source may be signed with now, opened */
    List<WebhookSecret> verificationSecrets(Source source) {
        Instant now = now();
        return source.secrets().stream().filter(secret -> secret.validAt(now)).map(secret -> WebhookSecret.ofKey(sealer.open(secret.sealed()))).toList();
    }

    private List<SealedSecret> current(List<SealedSecret> secrets) {
        Instant now = now();
        return secrets.stream().filter(secret -> secret.validAt(now)).toList();
    }

    private SealedSecret seal(WebhookSecret secret, Instant now) {
        return new SealedSecret(sealer.seal(secret.key()), now, Optional.empty());
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS);
    }

    static void requireValidName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a source's name is 1 to 40 lower-case letters, digits and inner dashes, such as 'zimperium'");
        }
    }

    private static String displayName(String given, String name) {
        String stripped = given == null ? "" : given.strip();
        if (stripped.length() > 100) {
            throw new IllegalArgumentException("a display name is at most 100 characters");
        }
        return stripped.isEmpty() ? name : stripped;
    }

    private static byte[] encode(Source source) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("name", source.name());
        out.put("displayName", source.displayName());
        out.set("mapping", source.mapping());
        out.put("created", source.created().toString());
        ArrayNode secrets = out.putArray("secrets");
        for (SealedSecret secret : source.secrets()) {
            ObjectNode item = secrets.addObject();
            item.put("sealed", Base64.getEncoder().encodeToString(secret.sealed()));
            item.put("added", secret.added().toString());
            secret.retiresAt().ifPresent(end -> item.put("retiresAt", end.toString()));
        }
        return WebhookJson.write(out);
    }

    private static Source decode(byte[] bytes) {
        JsonNode stored = WebhookJson.read(bytes).orElseThrow(() -> new IllegalStateException("a stored webhook source cannot be read"));
        List<SealedSecret> secrets = new ArrayList<>();
        for (JsonNode secret : stored.path("secrets")) {
            secrets.add(new SealedSecret(Base64.getDecoder().decode(secret.path("sealed").asText()), Instant.parse(secret.path("added").asText()),
                    secret.hasNonNull("retiresAt") ? Optional.of(Instant.parse(secret.path("retiresAt").asText())) : Optional.empty()));
        }
        return new Source(stored.path("name").asText(), stored.path("displayName").asText(), (ObjectNode) stored.path("mapping"),
                Instant.parse(stored.path("created").asText()), secrets);
    }
}
