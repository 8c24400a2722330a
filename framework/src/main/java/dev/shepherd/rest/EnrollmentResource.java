package dev.shepherd.rest;

import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.enrollment.EnrollmentHandler;
import dev.shepherd.enrollment.EnrollmentToken;
import dev.shepherd.enrollment.IssuedEnrollmentToken;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.http.Problem;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/** Enrollment tokens: the secret behind enrollment links and QR codes. */
final class EnrollmentResource {

    record NewToken(String name, Ownership ownership, Optional<Platform> platform, Optional<String> groupId,
                    Optional<String> userId, Optional<Integer> maxUses, Optional<Instant> expiresAt, Optional<Integer> validForHours,
                    Optional<Boolean> requireSignIn) {
        NewToken {
            requireNonNull(name, "name is null");
            requireNonNull(ownership, "ownership is null");
        }
    }

    private final Kernel kernel;
    private final Supplier<String> publicUrl;

    EnrollmentResource(Kernel kernel, Supplier<String> publicUrl) {
        this.kernel = requireNonNull(kernel, "kernel is null");
        this.publicUrl = requireNonNull(publicUrl, "publicUrl is null");
    }

    List<AdminRoute> routes() {
        return List.of(
                AdminRoute.get("/api/v1/enrollment-tokens", Permission.ENROLLMENT_READ).tag("enrollment")
                        .summary("Enrollment tokens, newest first (secrets are never shown again); a scoped admin's: those enrolling into their groups")
                        .scopeEnforced().returns(EnrollmentToken[].class)
                        .handle(request -> kernel.enrollmentTokens().list().stream().filter(token -> inScope(request, token)).toList()),
                AdminRoute.post("/api/v1/enrollment-tokens", Permission.ENROLLMENT_WRITE).tag("enrollment")
                        .summary("Create a token; the secret is in this answer only (a scoped admin's must enroll into one of their groups)")
                        .scopeEnforced().body(NewToken.class).returns(IssuedEnrollmentToken.class).status(201).handle(request -> {
                            NewToken body = request.body(NewToken.class);
                            // A device enrolled with the token lands in its group: for a scoped admin, one of theirs, so
                            // they never make devices they could not see.
                            if (request.principal().scoped()) {
                                GroupResource.requireGroupInScope(request, body.groupId().orElseThrow(() -> new ApiException(Problem.of(403,
                                        "out-of-scope", "Outside your scope", "Your role is granted over some device groups: a token you"
                                                + " create must enroll devices into one of them (groupId)."))));
                            }
                            if (body.expiresAt().isPresent() == body.validForHours().isPresent()) {
                                throw ApiException.badRequest("give either expiresAt or validForHours");
                            }
                            Instant expires = body.expiresAt().orElseGet(() -> {
                                int hours = body.validForHours().get();
                                if (hours < 1 || hours > 24 * 366) {
                                    throw ApiException.invalidField("/validForHours", "must be between 1 and 8784");
                                }
                                return Instant.now().plus(Duration.ofHours(hours));
                            });
                            IssuedEnrollmentToken issued = kernel.enrollmentTokens().create(request.actor(), new NewEnrollmentToken(body.name(),
                                    body.ownership(), body.platform(), body.groupId(), body.userId(),
                                    body.maxUses().map(OptionalInt::of).orElse(OptionalInt.empty()), expires, body.requireSignIn().orElse(false)));
                            String link = publicUrl.get() + EnrollmentHandler.MOUNT + "/" + issued.secret();
                            return ApiResponse.created(new IssuedView(issued.token(), issued.secret(), link, link + "/qr.png"));
                        }),
                AdminRoute.get("/api/v1/enrollment-tokens/{id}", Permission.ENROLLMENT_READ).tag("enrollment").summary("One token")
                        .scopeEnforced().returns(EnrollmentToken.class).handle(request -> kernel.enrollmentTokens().find(request.path("id"))
                                .filter(token -> inScope(request, token)).orElseThrow(() -> ApiException.notFound("No enrollment token has the id '" + request.path("id") + "'."))),
                AdminRoute.delete("/api/v1/enrollment-tokens/{id}", Permission.ENROLLMENT_WRITE).tag("enrollment")
                        .summary("Revoke a token; devices enrolled with it stay enrolled").scopeEnforced().status(204).handle(request -> {
                            if (kernel.enrollmentTokens().find(request.path("id")).filter(token -> inScope(request, token)).isEmpty()
                                    || !kernel.enrollmentTokens().revoke(request.actor(), request.path("id"))) {
                                throw ApiException.notFound("No enrollment token has the id '" + request.path("id") + "'.");
                            }
                            return ApiResponse.noContent();
                        }));
    }

    /** A scoped admin sees the tokens that enroll devices into one of their groups, and no other. */
    private static boolean inScope(ApiRequest request, EnrollmentToken token) {
        return !request.principal().scoped() || token.groupId().map(request.principal().scope()::includesGroup).orElse(false);
    }

    /**
     * The created token with its secret, which JSON shows (unlike the record's toString), and the public links a
     * device opens to enroll: the platform plugin's artifact (add {@code ?platform=} when the token is not bound to
     * one platform) and the same link as a QR code.
     */
    record IssuedView(EnrollmentToken token, String secret, String enrollmentUrl, String qrCodeUrl) {
    }
}
