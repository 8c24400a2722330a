package dev.shepherd.rest;

import dev.shepherd.audit.AuditRecord;
import dev.shepherd.enrollment.QrCodes;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.http.Problem;
import dev.shepherd.security.AdminAuthenticator;
import dev.shepherd.security.AdminTotp;
import dev.shepherd.security.AdminUserStore;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;

import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The TOTP second factor of local admin accounts: an admin enrolls their own (start, confirm with a code, remove with a
 * code or their password) and an admin who manages admins resets another's, for one who lost their phone and codes.
 */
final class TotpResource {

    /** A current code from the authenticator app. */
    record Code(String code) {
        Code {
            requireNonNull(code, "code is null");
        }

        @Override
        public String toString() {
            return "Code[hidden]";
        }
    }

    /**
     * A key being enrolled, shown once.
     *
     * @param secret the key in base32, to type
     * @param otpauthUri the key as an {@code otpauth://totp/…} URI, for apps that take a link
     * @param qrCode the URI as a QR code for the app to scan: a {@code data:image/png;base64,…} URI
     */
    record Started(String secret, String otpauthUri, String qrCode) {
        @Override
        public String toString() {
            return "Started[hidden]";
        }
    }

    /** The recovery codes, shown once when the second factor becomes active. */
    record Confirmed(List<String> recoveryCodes) {
        @Override
        public String toString() {
            return "Confirmed[hidden]";
        }
    }

    /** Proof it is the account's owner removing the second factor: a current code, or the password. */
    record Removal(Optional<String> code, Optional<String> password) {
        Removal {
            code = code == null ? Optional.empty() : code;
            password = password == null ? Optional.empty() : password;
            if (code.isPresent() == password.isPresent()) {
                throw new IllegalArgumentException("give a current code or your password, not both");
            }
        }

        @Override
        public String toString() {
            return "Removal[hidden]";
        }
    }

    private final Kernel kernel;
    private final AdminUserStore admins;
    private final AdminAuthenticator authenticator;
    private final AdminTotp totp;

    TotpResource(Kernel kernel, AdminUserStore admins, AdminAuthenticator authenticator, AdminTotp totp) {
        this.kernel = requireNonNull(kernel, "kernel is null");
        this.admins = requireNonNull(admins, "admins is null");
        this.authenticator = requireNonNull(authenticator, "authenticator is null");
        this.totp = requireNonNull(totp, "totp is null");
    }

    private static final String OWN = "the caller's own second factor";

    List<AdminRoute> routes() {
        return List.of(
                AdminRoute.get("/api/v1/auth/totp", Permission.API_TOKEN_OWN).tag("auth").deviceFree(OWN)
                        .summary("Your second factor: whether it is active or being enrolled, and how many recovery codes are left")
                        .returns(AdminTotp.Status.class).handle(request -> totp.status(request.principal().username())),
                AdminRoute.post("/api/v1/auth/totp", Permission.API_TOKEN_OWN).tag("auth").deviceFree(OWN)
                        .summary("Start enrolling a TOTP second factor: the key (base32, otpauth:// URI and its QR code) is in this answer only; confirm it with a code")
                        .returns(Started.class).status(201).handle(request -> {
                            String username = ownLocalAccount(request);
                            AdminTotp.Enrollment enrollment;
                            try {
                                enrollment = totp.start(username);
                            } catch (IllegalStateException e) {
                                throw ApiException.conflict("your second factor is already active; remove it before enrolling a new one");
                            }
                            audit(request, "admin.totp_enroll_start", username);
                            return ApiResponse.created(new Started(enrollment.secret(), enrollment.otpauthUri(),
                                    "data:image/png;base64," + Base64.getEncoder().encodeToString(QrCodes.png(enrollment.otpauthUri()))));
                        }),
                AdminRoute.post("/api/v1/auth/totp/confirm", Permission.API_TOKEN_OWN).tag("auth").deviceFree(OWN)
                        .summary("Activate the second factor being enrolled with a current code; the recovery codes are in this answer only")
                        .body(Code.class).returns(Confirmed.class).handle(request -> {
                            String username = ownLocalAccount(request);
                            if (!totp.status(username).enrolling()) {
                                throw ApiException.conflict("no second factor is being enrolled; start one first");
                            }
                            checkNotLocked(request, username);
                            Optional<List<String>> codes = totp.confirm(username, request.body(Code.class).code());
                            if (codes.isEmpty()) {
                                authenticator.secondFactorFailed(username, request.remote());
                                throw new ApiException(Problem.of(403, "wrong-code", "Wrong code",
                                        "The code is not the current one of the key being enrolled. Check the app's clock and try the next code."));
                            }
                            authenticator.secondFactorPassed(username);
                            audit(request, "admin.totp_enroll", username);
                            return new Confirmed(codes.get());
                        }),
                AdminRoute.post("/api/v1/auth/totp/remove", Permission.API_TOKEN_OWN).tag("auth").deviceFree(OWN)
                        .summary("Remove your second factor (a current code or your password is required)")
                        .body(Removal.class).status(204).handle(request -> {
                            String username = ownLocalAccount(request);
                            Removal removal = request.body(Removal.class);
                            if (!totp.status(username).active() && !totp.status(username).enrolling()) {
                                throw ApiException.notFound("You have no second factor.");
                            }
                            checkNotLocked(request, username);
                            if (!proven(request, username, removal)) {
                                throw new ApiException(Problem.of(403, "wrong-proof", "Not removed",
                                        "The code or the password is wrong."));
                            }
                            totp.remove(username);
                            audit(request, "admin.totp_remove", username);
                            return ApiResponse.noContent();
                        }),
                AdminRoute.delete("/api/v1/admins/{username}/totp", Permission.ADMIN_MANAGE).tag("admins").scopeEnforced()
                        .summary("Reset another admin's second factor (they lost their phone and recovery codes): they sign in with their password alone")
                        .status(204).handle(request -> {
                            String username = request.path("username");
                            RoleResource.requireWithinScope(request.principal(), admins.find(username)
                                    .orElseThrow(() -> ApiException.notFound("No admin is named '" + username + "'.")));
                            if (!totp.remove(username)) {
                                throw ApiException.notFound("'" + username + "' has no second factor.");
                            }
                            authenticator.unlock(username);
                            audit(request, "admin.totp_reset", username);
                            return ApiResponse.noContent();
                        }));
    }

    private boolean proven(ApiRequest request, String username, Removal removal) {
        if (removal.code().isPresent()) {
            boolean right = totp.verifyCode(username, removal.code().get());
            if (right) {
                authenticator.secondFactorPassed(username);
            } else {
                authenticator.secondFactorFailed(username, request.remote());
            }
            return right;
        }
        char[] password = removal.password().orElseThrow().toCharArray();
        try {
            AdminAuthenticator.Outcome outcome = authenticator.checkPassword(username, password, request.remote());
            if (outcome instanceof AdminAuthenticator.Outcome.Locked locked) {
                throw ApiException.signInLocked(request.exchange(), locked.retryAfter());
            }
            return outcome instanceof AdminAuthenticator.Outcome.Authenticated;
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private void checkNotLocked(ApiRequest request, String username) {
        Optional<Duration> locked = authenticator.secondFactorLocked(username, request.remote());
        if (locked.isPresent()) {
            throw ApiException.signInLocked(request.exchange(), locked.get());
        }
    }

    /** The second factor is for local accounts: an identity provider's accounts sign in with the provider's own. */
    private String ownLocalAccount(ApiRequest request) {
        String username = request.principal().username();
        if (!admins.isLocal(username)) {
            throw ApiException.conflict("your account signs in through an identity provider; set up a second factor there");
        }
        return username;
    }

    /** Audits a change of a second factor; no key or code is ever written. */
    private void audit(ApiRequest request, String action, String username) {
        kernel.audit().append(new AuditRecord(request.actor(), action, "admin", username, Optional.empty(), Optional.empty()));
    }
}
