package dev.shepherd.plugins.windows.enrollment;

import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.EnrollmentGrant;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.identity.ProvidedUser;
import dev.shepherd.api.identity.UserAuthenticator;
import dev.shepherd.api.identity.UserDirectory;
import dev.shepherd.plugins.windows.entra.EntraToken;
import dev.shepherd.plugins.windows.entra.EntraTokenException;
import dev.shepherd.plugins.windows.entra.EntraTokens;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Who may enroll a PC. The enrollment client sends what the user typed in WS-Security: an e-mail address and a
 * password. The password is either a one-time enrollment token (from an enrollment link, or typed by the user) or
 * the user's organisation password, which an identity-provider plugin checks. A client that signed in on a web page
 * (federated) brings a token instead: the one-time code of the server's enrollment sign-in page
 * ({@link UserAuthenticator#ENROLLMENT_SIGN_IN_PATH}), or an enrollment token minted by another sign-in page. A PC
 * joining Microsoft Entra ID brings the access token Entra issued it for the MDM application
 * ({@value EntraTokens#JWT_TOKEN_TYPE}), which {@link EntraTokens} validates; its user is put into the server's
 * directory under the provider {@value #ENTRA_PROVIDER} (external id: the Entra object id).
 */
public final class EnrollmentAuthentication {

    /** How the enrollment was authenticated. */
    public sealed interface Authenticated permits ByToken, ByCredentials, ByEntra {
    }

    /** By an Entra access token, whose user is in the server's directory as {@code directoryUserId}. */
    public record ByEntra(EntraToken token, String directoryUserId) implements Authenticated {
    }

    /** By an enrollment token, which enrolling uses up. */
    public record ByToken(String token, EnrollmentGrant grant) implements Authenticated {
    }

    /** By the user's organisation password. */
    public record ByCredentials(UserAuthenticator.SignedInUser user) implements Authenticated {
    }

    /** MS-MDE2 3.4.4.1.1.1.1: the value type of the security token a federated client brings from the sign-in page. */
    static final String FEDERATED_TOKEN = "http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentUserToken";

    /** The directory provider Entra users are kept under. */
    public static final String ENTRA_PROVIDER = "entra";

    private final DeviceRegistry registry;
    private final UserAuthenticator users;
    private final UserDirectory directory;
    private final EntraTokens entra;

    public EnrollmentAuthentication(DeviceRegistry registry, UserAuthenticator users, UserDirectory directory, EntraTokens entra) {
        this.registry = requireNonNull(registry, "registry is null");
        this.users = requireNonNull(users, "users is null");
        this.directory = requireNonNull(directory, "directory is null");
        this.entra = requireNonNull(entra, "entra is null");
    }

    /**
     * @param enrolling whether this is the request the device enrolls with, which uses up a sign-in code (the requests
     *                  before it only check the code)
     * @throws Soap.FaultException {@link Soap.Fault#AUTHENTICATION} when nothing presented is valid,
     *         {@link Soap.Fault#AUTHORIZATION} when a token is for another platform
     */
    public Authenticated authenticate(Soap.Credentials credentials, boolean enrolling) {
        if (credentials.binaryToken().isPresent() && EntraTokens.JWT_TOKEN_TYPE.equals(credentials.binaryTokenType().orElse(""))) {
            return byEntra(credentials.binaryToken().get());
        }
        for (String candidate : tokenCandidates(credentials)) {
            Optional<EnrollmentGrant> grant = registry.checkEnrollmentToken(candidate);
            if (grant.isPresent()) {
                if (grant.get().platform().isPresent() && !grant.get().platform().get().equals(Platform.WINDOWS)) {
                    throw new Soap.FaultException(Soap.Fault.AUTHORIZATION, "This enrollment token is for "
                            + grant.get().platform().get() + " devices, not Windows.");
                }
                return new ByToken(candidate, grant.get());
            }
        }
        if (credentials.binaryToken().isPresent() && FEDERATED_TOKEN.equals(credentials.binaryTokenType().orElse(""))) {
            for (String candidate : tokenCandidates(credentials)) {
                Optional<UserAuthenticator.SignedInUser> user = enrolling ? users.redeemSignInCode(candidate) : users.checkSignInCode(candidate);
                if (user.isPresent()) {
                    return new ByCredentials(user.get());
                }
            }
        }
        if (credentials.username().isPresent() && credentials.password().isPresent()) {
            char[] password = credentials.password().get().toCharArray();
            try {
                Optional<UserAuthenticator.SignedInUser> user = users.authenticate(credentials.username().get(), password);
                if (user.isPresent()) {
                    return new ByCredentials(user.get());
                }
            } finally {
                Arrays.fill(password, '\0');
            }
        }
        throw new Soap.FaultException(Soap.Fault.AUTHENTICATION, credentials.password().isEmpty() && credentials.binaryToken().isEmpty()
                ? "Sign in with your work account, or use the enrollment token from your IT department as the password."
                : "The password is not valid: use your work account's password, or an enrollment token that has not expired or been used up.");
    }

    /** An Entra-joined PC's access token: validated, and its user put into the directory. */
    private ByEntra byEntra(String encodedToken) {
        String token;
        try {
            token = entraJws(encodedToken);
        } catch (IllegalArgumentException e) {
            throw new Soap.FaultException(Soap.Fault.AUTHENTICATION, "The Entra access token is not base64-encoded.");
        }
        EntraToken validated;
        try {
            validated = entra.validate(token);
        } catch (EntraTokenException e) {
            throw new Soap.FaultException(switch (e.reason()) {
                case INVALID -> Soap.Fault.AUTHENTICATION;
                case TENANT_NOT_ALLOWED -> Soap.Fault.AUTHORIZATION;
                case UNAVAILABLE -> Soap.Fault.ENROLLMENT_SERVER;
            }, "The Entra access token was not accepted: " + e.getMessage() + ".");
        } catch (IllegalArgumentException e) {
            throw new Soap.FaultException(Soap.Fault.ENROLLMENT_SERVER, "Entra enrollment is misconfigured on the server.");
        }
        String email = validated.userPrincipalName().contains("@") ? validated.userPrincipalName() : "";
        try {
            String userId = directory.putUser(ENTRA_PROVIDER, new ProvidedUser(validated.objectId(), validated.userPrincipalName(),
                    validated.displayName(), email, true));
            return new ByEntra(validated, userId);
        } catch (IllegalArgumentException e) {
            throw new Soap.FaultException(Soap.Fault.AUTHORIZATION, "The Entra user " + validated.userPrincipalName()
                    + " cannot be added to the server's directory: " + e.getMessage());
        }
    }

    /**
     * The JWS in the security token: clients encode it as base64binary (with or without padding and line breaks; a
     * JWS's base64 never holds the characters the URL-safe alphabet replaces); a token sent as it is (it has dots,
     * which base64 never does) is taken as it is.
     */
    static String entraJws(String securityToken) {
        String compact = securityToken.strip();
        if (compact.contains(".")) {
            return compact;
        }
        return new String(Base64.getMimeDecoder().decode(compact), StandardCharsets.US_ASCII).trim();
    }

    /** The password, and a federated token as sent and base64-decoded (clients encode it as base64binary). */
    private static List<String> tokenCandidates(Soap.Credentials credentials) {
        List<String> candidates = new ArrayList<>();
        credentials.password().ifPresent(candidates::add);
        credentials.binaryToken().ifPresent(token -> {
            candidates.add(token);
            try {
                String decoded = new String(Base64.getMimeDecoder().decode(token), StandardCharsets.UTF_8).trim();
                if (!decoded.isEmpty() && decoded.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                    candidates.add(decoded);
                }
            } catch (IllegalArgumentException notBase64) {
                // used as sent
            }
        });
        // Tokens are URL-safe base64 of 32 bytes; anything far off that is not worth a database lookup.
        return candidates.stream().filter(candidate -> candidate.length() >= 16 && candidate.length() <= 256).distinct().toList();
    }
}
