package dev.shepherd.security;

import dev.shepherd.storage.Transactions;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Single sign-on flows under way, between sending the browser to the identity provider and its return to the
 * callback. A flow is bound to the browser that started it by a random id only that browser holds (in a cookie; the
 * store keeps its SHA-256), expires after {@link #LIFETIME}, and is used at most once: {@link #take} deletes it in the
 * same transaction that reads it, so a replayed callback finds nothing, on any node. The plugin's pending secret is
 * sealed with the server's secrets key, and so is an enrollment sign-in's {@linkplain Flow#context() context}: where
 * the enrollment goes on afterwards is kept here, never in a parameter the identity provider carries back.
 */
public final class SsoFlows {

    /** Long enough to type a password and a second factor at the identity provider, short enough to be useless later. */
    public static final Duration LIFETIME = Duration.ofMinutes(10);

    /** Who a sign-in is for. */
    public enum Audience {
        /** An admin, for the web console. */
        CONSOLE,
        /** A device's user, for the self-service portal. */
        PORTAL,
        /** A device's user, for a device's enrollment (the enrollment sign-in page), which goes on with the flow's context. */
        ENROLLMENT
    }

    /**
     * A flow started by {@link #start}.
     *
     * @param provider the sign-in provider's id
     * @param audience who it is for
     * @param stateHash the SHA-256 of the state sent to the identity provider
     * @param pending the plugin's pending secret, opened
     * @param context for {@link Audience#ENROLLMENT}, the enrollment sign-in page's context (which client, where it
     *                returns), opened; empty otherwise
     */
    public record Flow(String provider, Audience audience, String stateHash, String pending, Optional<String> context) {
        public Flow {
            requireNonNull(context, "context is null");
        }

        @Override
        public String toString() {
            return "Flow[provider=" + provider + ", audience=" + audience + "]";
        }
    }

    private final Transactions transactions;
    private final SecretBox secrets;
    private final Clock clock;

    public SsoFlows(Transactions transactions, SecretBox secrets, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.secrets = requireNonNull(secrets, "secrets is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Keeps a new flow, and forgets expired ones.
     *
     * @param browserId the random value of the browser's flow cookie
     * @param state the state sent to the identity provider
     */
    public void start(String browserId, String provider, Audience audience, String state, String pending) {
        start(browserId, provider, audience, state, pending, Optional.empty());
    }

    /**
     * Keeps a new flow with its context, and forgets expired ones.
     *
     * @param context what the audience goes on with after the sign-in, on one line: required for
     *                {@link Audience#ENROLLMENT}, refused for the others
     */
    public void start(String browserId, String provider, Audience audience, String state, String pending, Optional<String> context) {
        requireNonNull(context, "context is null");
        if (context.isPresent() != (audience == Audience.ENROLLMENT) || context.filter(value -> value.indexOf('\n') >= 0).isPresent()) {
            throw new IllegalArgumentException("an enrollment sign-in, and only one, has a context of one line");
        }
        requireNonNull(browserId, "browserId is null");
        requireNonNull(provider, "provider is null");
        requireNonNull(audience, "audience is null");
        requireNonNull(state, "state is null");
        requireNonNull(pending, "pending is null");
        Instant now = clock.instant();
        transactions.inTransaction("start a single sign-on", tx -> {
            try (PreparedStatement expired = tx.connection().prepareStatement("DELETE FROM sso_flow WHERE expires_at <= ?");
                 PreparedStatement insert = tx.connection().prepareStatement("""
                         INSERT INTO sso_flow (id_hash, provider, audience, state_hash, pending, created_at, expires_at)
                         VALUES (?, ?, ?, ?, ?, ?, ?)""")) {
                expired.setTimestamp(1, Timestamp.from(now));
                expired.executeUpdate();
                insert.setString(1, Secrets.sha256(browserId));
                insert.setString(2, provider);
                insert.setString(3, audience.name());
                insert.setString(4, Secrets.sha256(state));
                // The context shares the pending secret's sealed column (no migration): it goes first, on its own line.
                insert.setString(5, secrets.encrypt(context.map(value -> value + "\n" + pending).orElse(pending)));
                insert.setTimestamp(6, Timestamp.from(now));
                insert.setTimestamp(7, Timestamp.from(now.plus(LIFETIME)));
                insert.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Takes the flow a browser's cookie names, once: the flow is gone afterwards, whatever comes of the sign-in.
     *
     * @return the flow, when there is one and it has not expired
     */
    public Optional<Flow> take(String browserId) {
        requireNonNull(browserId, "browserId is null");
        Instant now = clock.instant();
        return transactions.inTransaction("take a single sign-on", tx -> {
            Flow flow;
            Instant expiresAt;
            try (PreparedStatement select = tx.connection().prepareStatement(
                    "SELECT provider, audience, state_hash, pending, expires_at FROM sso_flow WHERE id_hash = ?")) {
                select.setString(1, Secrets.sha256(browserId));
                try (ResultSet rows = select.executeQuery()) {
                    if (!rows.next()) {
                        return Optional.<Flow>empty();
                    }
                    Audience audience = Audience.valueOf(rows.getString(2));
                    String sealed = secrets.decrypt(rows.getString(4));
                    int endOfContext = audience == Audience.ENROLLMENT ? sealed.indexOf('\n') : -1;
                    flow = endOfContext < 0 ? new Flow(rows.getString(1), audience, rows.getString(3), sealed, Optional.empty())
                            : new Flow(rows.getString(1), audience, rows.getString(3), sealed.substring(endOfContext + 1),
                            Optional.of(sealed.substring(0, endOfContext)));
                    expiresAt = rows.getTimestamp(5).toInstant();
                }
            }
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM sso_flow WHERE id_hash = ?")) {
                delete.setString(1, Secrets.sha256(browserId));
                // Two callbacks racing with the same cookie: only the one whose delete removed the row goes on.
                if (delete.executeUpdate() != 1) {
                    return Optional.<Flow>empty();
                }
            }
            return now.isBefore(expiresAt) ? Optional.of(flow) : Optional.<Flow>empty();
        });
    }
}
