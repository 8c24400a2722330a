package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.PluginStorage;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * The bearer tokens provisioning clients present (RFC 6750). A token is 256 random bits, handed to the admin who
 * issues it once and never again: the plugin keeps only its SHA-256 (a hash suffices for a secret of that strength;
 * nothing is to be opened later, so nothing is sealed), and compares hashes in constant time. A token is revoked
 * by deleting it, or rotated: the same token id gets a new secret and the old one stops working at once.
 */
@Singleton
final class BearerTokens {

    /** A token as listed to admins: never its secret. */
    record TokenInfo(String id, String label, Instant created, String createdBy) {
        TokenInfo {
            requireNonNull(id, "id is null");
            requireNonNull(label, "label is null");
            requireNonNull(created, "created is null");
            requireNonNull(createdBy, "createdBy is null");
        }
    }

    /** A token just issued, with its secret, which is shown this once. */
    record IssuedToken(TokenInfo info, String secret) {
        IssuedToken {
            requireNonNull(info, "info is null");
            requireNonNull(secret, "secret is null");
        }

        @Override
        public String toString() {
            return "IssuedToken[" + info + ", secret hidden]";
        }
    }

    private static final String PREFIX = "token/";
    private static final String SECRET_PREFIX = "scim_";
    private static final int MAX_PRESENTED = 256;

    private final PluginStorage storage;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    @Inject
    BearerTokens(PluginStorage storage, Clock clock) {
        this.storage = requireNonNull(storage, "storage is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    IssuedToken issue(String label, String admin) {
        TokenInfo info = new TokenInfo(UUID.randomUUID().toString(), label, clock.instant().truncatedTo(ChronoUnit.SECONDS), admin);
        return store(info);
    }

    /** @return the token with a new secret, when there is a token with this id */
    Optional<IssuedToken> rotate(String id, String admin) {
        return find(id).map(existing -> store(new TokenInfo(existing.id(), existing.label(),
                clock.instant().truncatedTo(ChronoUnit.SECONDS), admin)));
    }

    boolean revoke(String id) {
        return validId(id) && storage.delete(PREFIX + id);
    }

    List<TokenInfo> all() {
        List<TokenInfo> all = new ArrayList<>();
        for (String key : storage.keys(PREFIX)) {
            storage.get(key).map(BearerTokens::decode).ifPresent(stored -> all.add(stored.info()));
        }
        return all;
    }

    /**
     * @param presented the secret from an {@code Authorization: Bearer} header
     * @return the token it is, when it is one
     */
    Optional<TokenInfo> authenticate(String presented) {
        if (presented.isEmpty() || presented.length() > MAX_PRESENTED) {
            return Optional.empty();
        }
        byte[] hash = Sha256.of(presented);
        Optional<TokenInfo> match = Optional.empty();
        // Every token is compared, in constant time each, so the time taken says nothing about which came close.
        for (String key : storage.keys(PREFIX)) {
            Optional<Stored> stored = storage.get(key).map(BearerTokens::decode);
            if (stored.isPresent() && MessageDigest.isEqual(stored.get().hash(), hash)) {
                match = Optional.of(stored.get().info());
            }
        }
        return match;
    }

    private Optional<TokenInfo> find(String id) {
        return validId(id) ? storage.get(PREFIX + id).map(BearerTokens::decode).map(Stored::info) : Optional.empty();
    }

    private IssuedToken store(TokenInfo info) {
        byte[] secretBytes = new byte[32];
        random.nextBytes(secretBytes);
        String secret = SECRET_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
        ObjectNode stored = JsonNodeFactory.instance.objectNode();
        stored.put("id", info.id());
        stored.put("label", info.label());
        stored.put("created", info.created().toString());
        stored.put("createdBy", info.createdBy());
        stored.put("sha256", HexFormat.of().formatHex(Sha256.of(secret)));
        storage.put(PREFIX + info.id(), ScimJson.write(stored));
        return new IssuedToken(info, secret);
    }

    private record Stored(TokenInfo info, byte[] hash) {
    }

    private static Stored decode(byte[] bytes) {
        try {
            JsonNode stored = ScimJson.MAPPER.readTree(bytes);
            return new Stored(new TokenInfo(stored.path("id").asText(), stored.path("label").asText(), Instant.parse(stored.path("created").asText()),
                    stored.path("createdBy").asText()), HexFormat.of().parseHex(stored.path("sha256").asText()));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("a stored SCIM token cannot be read", e);
        }
    }

    private static boolean validId(String id) {
        try {
            return UUID.fromString(id).toString().equals(id);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
