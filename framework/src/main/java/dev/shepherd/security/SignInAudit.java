package dev.shepherd.security;

import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.json.Json;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Writes failed sign-ins ({@code auth.failed}) and lockouts ({@code auth.locked}) to the audit log, with the address
 * they came from. The username is the one given, which need not exist; it is clipped, never trusted further. The
 * volume is bounded by the authenticator's own limits (thirty failures a minute per address). The self-service
 * portal's sign-ins are written the same way with the target type {@code user} ({@link #portal}).
 */
public final class SignInAudit implements AdminAuthenticator.SignInEvents {

    private static final int MAX_NAME = 128;

    private final AuditLog audit;
    private final Json json;
    private final String accountType;

    public SignInAudit(AuditLog audit, Json json) {
        this(audit, json, "admin");
    }

    private SignInAudit(AuditLog audit, Json json, String accountType) {
        this.audit = requireNonNull(audit, "audit is null");
        this.json = requireNonNull(json, "json is null");
        this.accountType = accountType;
    }

    /** The audit of the self-service portal's sign-ins, whose accounts are directory users. */
    public static SignInAudit portal(AuditLog audit, Json json) {
        return new SignInAudit(audit, json, "user");
    }

    @Override
    public void failed(String username, String remote, int failuresSoFar) {
        audit.append(new AuditRecord(Actor.SYSTEM, "auth.failed", accountType, clip(username), Optional.empty(),
                Optional.of(json.write(Map.of("remote", remote, "failures", failuresSoFar)))));
    }

    @Override
    public void locked(String username, String remote, Duration lockedFor, boolean byAddress) {
        audit.append(new AuditRecord(Actor.SYSTEM, "auth.locked", byAddress ? "address" : accountType, byAddress ? remote : clip(username),
                Optional.empty(), Optional.of(json.write(Map.of("remote", remote, "username", clip(username),
                "lockedForSeconds", lockedFor.toSeconds())))));
    }

    private static String clip(String username) {
        String printable = username.replaceAll("\\p{Cntrl}", "?");
        return printable.length() > MAX_NAME ? printable.substring(0, MAX_NAME) : printable;
    }
}
