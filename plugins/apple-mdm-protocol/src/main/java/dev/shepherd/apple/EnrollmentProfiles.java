package dev.shepherd.apple;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.ServerSigner;
import dev.shepherd.api.platform.EnrollmentArtifact;
import dev.shepherd.api.platform.EnrollmentInvitation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The signed enrollment profiles of an Apple platform, one per invitation: behind enrollment links
 * ({@link ApplePlatformSupport}) and at the end of account-driven enrollment ({@link AccountDrivenEnrollment}). Each
 * carries a SCEP challenge bound to the invitation's enrollment token, which the device's Authenticate then enrolls
 * with.
 */
final class EnrollmentProfiles {

    /** The SCEP challenge's binding to the enrollment token the profile was handed out for. */
    static final String ENROLLMENT_TOKEN = "enrollmentToken";
    /**
     * The SCEP challenge's binding to the account-driven enrollment the profile was handed out by: the profile's
     * {@code EnrollmentMode}, {@code BYOD} or {@code ADDE}.
     */
    static final String ACCOUNT_DRIVEN = "accountDriven";
    /**
     * The SCEP challenge's binding to the Managed Apple Account a device-enrollment (ADDE) profile assigned, which the
     * device's identity renewals repeat ({@link IdentityRenewal}).
     */
    static final String ASSIGNED_ACCOUNT = "assignedAccount";
    /** The SCEP challenge's binding to the serial number of an ADE device's verified MachineInfo. */
    static final String ADE_SERIAL = "adeSerial";
    /** The SCEP challenge's binding to the UDID of an ADE device's verified MachineInfo. */
    static final String ADE_UDID = "adeUdid";
    /** The SCEP challenge's binding saying the ADE device's profile awaits configuration ({@link AdeAwaitConfiguration}). */
    static final String ADE_AWAIT = "adeAwait";
    /** The SCEP challenge's binding to the directory user who signed in in the ADE web view ({@link AdeWebView}). */
    static final String ADE_USER = "adeUser";
    /** An ADE device installs its profile within Setup Assistant, at once. */
    private static final Duration ADE_CHALLENGE_VALIDITY = Duration.ofHours(1);
    private static final Logger log = LoggerFactory.getLogger(EnrollmentProfiles.class);

    private final CertificateAuthority authority;
    private final ServerSigner signer;
    private final PluginConfig config;
    private final PluginIdentity identity;
    private final PushCertificates pushCertificates;
    private final SettingProfiles.Os os;
    private final Clock clock;

    EnrollmentProfiles(CertificateAuthority authority, ServerSigner signer, PluginConfig config, PluginIdentity identity,
                       PushCertificates pushCertificates, SettingProfiles.Os os, Clock clock) {
        this.authority = requireNonNull(authority, "authority is null");
        this.signer = requireNonNull(signer, "signer is null");
        this.config = requireNonNull(config, "config is null");
        this.identity = requireNonNull(identity, "identity is null");
        this.pushCertificates = requireNonNull(pushCertificates, "pushCertificates is null");
        this.os = requireNonNull(os, "os is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * @return the profile, signed by the server, as {@code application/x-apple-aspen-config}; a user-enrollment profile
     *         (the Managed Apple Account as {@code AssignedManagedAppleID}, {@code EnrollmentMode} BYOD) when the
     *         invitation asks for user enrollment and names the user's e-mail address
     */
    EnrollmentArtifact artifact(EnrollmentInvitation invitation) {
        Duration validity = challengeValidity(invitation);
        // The kernel offers user enrollment for personal tokens whose user has an e-mail address, the managed account.
        Optional<String> managedAppleId = invitation.userEnrollment() ? invitation.userEmail() : Optional.empty();
        return signed(invitation.serverUrl(), authority.newChallenge(validity, Map.of(ENROLLMENT_TOKEN, invitation.token())),
                invitation.ownership() == Ownership.PERSONAL, managedAppleId, Optional.empty());
    }

    /**
     * The profile answering account-driven enrollment: a user enrollment of a personal device ({@code BYOD}) or a
     * device enrollment of an organisation's ({@code ADDE}), both assigning the Managed Apple Account of the person who
     * signed in; its SCEP challenge bound to the person's token and to the mode, which the device then enrolls with.
     *
     * @param mode how the device enrolls
     * @param account the person's Managed Apple Account
     */
    EnrollmentArtifact accountDrivenArtifact(EnrollmentInvitation invitation, AccountEnrollmentSettings.Mode mode, String account) {
        Duration validity = challengeValidity(invitation);
        boolean user = mode == AccountEnrollmentSettings.Mode.USER;
        Map<String, String> bindings = user
                ? Map.of(ENROLLMENT_TOKEN, invitation.token(), ACCOUNT_DRIVEN, mode.enrollmentMode())
                : Map.of(ENROLLMENT_TOKEN, invitation.token(), ACCOUNT_DRIVEN, mode.enrollmentMode(), ASSIGNED_ACCOUNT, account);
        String challenge = authority.newChallenge(validity, bindings);
        return signed(invitation.serverUrl(), challenge, user, user ? Optional.of(account) : Optional.empty(),
                user ? Optional.empty() : Optional.of(account));
    }

    /**
     * The profile answering an Automated Device Enrollment request: corporate, its SCEP challenge bound to the serial
     * number and UDID of the MachineInfo whose signature chained to Apple's device CA, which the device's Authenticate
     * then claims its pre-registered record with ({@link AppleMdmEndpoint}).
     *
     * @param serverUrl the server's public base URL
     * @param signedInUser the directory user who signed in in the ADE web view ({@link AdeWebView}), whom the device is
     *        assigned to at its Authenticate; empty for a profile requested at the profile's {@code url}
     */
    EnrollmentArtifact adeArtifact(String serverUrl, String serialNumber, String udid, boolean awaitsConfiguration,
                                   Optional<String> signedInUser) {
        Map<String, String> bindings = new HashMap<>(Map.of(ADE_SERIAL, serialNumber, ADE_UDID, udid));
        if (awaitsConfiguration) {
            bindings.put(ADE_AWAIT, "true");
        }
        signedInUser.ifPresent(user -> bindings.put(ADE_USER, user));
        return signed(serverUrl, authority.newChallenge(ADE_CHALLENGE_VALIDITY, bindings), false, Optional.empty(), Optional.empty());
    }

    /** The SCEP challenge works until the invitation expires, and never longer than any profile's challenge. */
    private Duration challengeValidity(EnrollmentInvitation invitation) {
        Duration untilExpiry = Duration.between(clock.instant(), invitation.expiresAt());
        return untilExpiry.compareTo(ApplePlatformSupport.MAX_CHALLENGE_VALIDITY) > 0 ? ApplePlatformSupport.MAX_CHALLENGE_VALIDITY : untilExpiry;
    }

    private EnrollmentArtifact signed(String serverUrl, String challenge, boolean personal, Optional<String> managedAppleId,
                                      Optional<String> assignedAccount) {
        List<X509Certificate> chain = signer.chain();
        X509Certificate root = chain.get(chain.size() - 1);
        Optional<X509Certificate> selfSigned = root.getSubjectX500Principal().equals(root.getIssuerX500Principal())
                ? Optional.of(root) : Optional.empty();
        EnrollmentProfile profile = new EnrollmentProfile(serverUrl, identity.devicePath(), authority.scepPath(), challenge,
                authority.certificate(), selfSigned, topic(), config.get("organization", "Shepherd"),
                personal, serverCapabilities(managedAppleId.isPresent()), managedAppleId, assignedAccount);
        byte[] signed = signer.signAttached(Plists.xml(profile.toPlist()));
        return new EnrollmentArtifact("enroll.mobileconfig", "application/x-apple-aspen-config", signed, Optional.empty());
    }

    /**
     * The push topic new profiles carry: the uploaded certificate's, else the configured one. Without either, devices
     * still enroll and work when they contact the server, but can never be woken, and keep that topic until they
     * enroll again; the operator is told each time such a profile goes out.
     */
    private String topic() {
        Optional<String> topic = pushCertificates.topic().or(() -> config.get("topic"));
        if (topic.isEmpty()) {
            log.warn("Handing out an enrollment profile without a push topic: upload the APNs push certificate "
                    + "(PUT /api/v1/plugins/{}/push-certificate) so devices enrolled from now on can be woken", identity.id());
        }
        return topic.orElse(ApplePlatformSupport.UNCONFIGURED_TOPIC);
    }

    /**
     * A Mac gets a user channel per user ({@code per-user-connections}) and, unless user-enrolled (Apple forbids it
     * there), escrows its bootstrap token; iPhones and iPads have neither.
     */
    private List<String> serverCapabilities(boolean userEnrollment) {
        if (os != SettingProfiles.Os.MACOS) {
            return List.of();
        }
        return userEnrollment ? List.of(ApplePlatformSupport.PER_USER_CONNECTIONS)
                : List.of(ApplePlatformSupport.PER_USER_CONNECTIONS, "com.apple.mdm.bootstraptoken");
    }
}
