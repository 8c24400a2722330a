package dev.shepherd.apple;

import com.dd.plist.NSArray;
import com.dd.plist.NSData;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSObject;
import com.dd.plist.NSString;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * The MDM enrollment profile an Apple device installs: an optional root payload so the device trusts a
 * self-signed server, a SCEP payload that obtains the device identity from the kernel's CA with a one-time
 * challenge, and the {@code com.apple.mdm} payload that points the device at the check-in and command endpoints.
 *
 * @param serverUrl the server's public base URL, {@code https://...}
 * @param mdmPath the plugin's mount, such as {@code /mdm/apple-ios}; check-in and connect live under it
 * @param scepPath the SCEP service path, such as {@code /scep}
 * @param challenge the one-time SCEP challenge
 * @param caCertificate the CA the identity is requested from; pinned by fingerprint in the SCEP payload
 * @param trustedRoot the server's self-signed TLS root, when devices would not trust the server otherwise
 * @param topic the APNs topic of the push certificate ({@code com.apple.mgmt.External.*})
 * @param organization shown to the user as the profile's organisation
 * @param personal whether the device is personally owned (BYOD): the server then gets no right to erase it
 * @param serverCapabilities optional protocol features the server supports, such as {@code com.apple.mdm.bootstraptoken}
 * @param managedAppleId for user enrollment, the Managed Apple Account the user signs in with; empty for device enrollment.
 *        A user-enrolled device keeps its personal data, UDID and serial number from the server and speaks by
 *        EnrollmentID; only a personal device is user-enrolled.
 * @param assignedAccount for account-driven device enrollment, the Managed Apple Account of the person who signed in,
 *        which the device then signs in with ({@code EnrollmentMode} ADDE); empty otherwise. The device is enrolled as
 *        a whole, with its UDID and serial number, and only an organisation's device is enrolled so.
 */
public record EnrollmentProfile(String serverUrl, String mdmPath, String scepPath, String challenge, X509Certificate caCertificate,
                                Optional<X509Certificate> trustedRoot, String topic, String organization, boolean personal,
                                List<String> serverCapabilities, Optional<String> managedAppleId, Optional<String> assignedAccount) {

    /** Every access right Apple defines (profiles, lock, erase, queries, settings, apps...). */
    public static final int ALL_ACCESS_RIGHTS = 8191;
    /** The right to erase the device, withheld from personally owned devices. */
    public static final int ERASE_RIGHT = 8;
    /** Re-enrolling replaces the profile with the same identifier rather than adding a second one. */
    public static final String IDENTIFIER = "dev.shepherd.mdm.enrollment";

    /** Validates every part. */
    public EnrollmentProfile {
        requireNonNull(serverUrl, "serverUrl is null");
        requireNonNull(mdmPath, "mdmPath is null");
        requireNonNull(scepPath, "scepPath is null");
        requireNonNull(challenge, "challenge is null");
        requireNonNull(caCertificate, "caCertificate is null");
        requireNonNull(trustedRoot, "trustedRoot is null");
        requireNonNull(topic, "topic is null");
        requireNonNull(organization, "organization is null");
        serverCapabilities = List.copyOf(serverCapabilities);
        requireNonNull(managedAppleId, "managedAppleId is null");
        if (managedAppleId.isPresent() && !personal) {
            throw new IllegalArgumentException("user enrollment is for personal devices only");
        }
        requireNonNull(assignedAccount, "assignedAccount is null");
        if (assignedAccount.isPresent() && (personal || managedAppleId.isPresent())) {
            throw new IllegalArgumentException("account-driven device enrollment is for an organisation's devices only");
        }
        for (Optional<String> account : List.of(managedAppleId, assignedAccount)) {
            if (account.filter(id -> !id.contains("@")).isPresent()) {
                throw new IllegalArgumentException("a Managed Apple Account is an e-mail-like address: " + account.get());
            }
        }
        if (!serverUrl.startsWith("https://")) {
            throw new IllegalArgumentException("Apple devices enroll over HTTPS only; the server URL is " + serverUrl);
        }
        if (!topic.startsWith("com.apple.mgmt.")) {
            throw new IllegalArgumentException("the push topic must start with com.apple.mgmt.: " + topic);
        }
    }

    /** A profile of no account-driven device enrollment. */
    public EnrollmentProfile(String serverUrl, String mdmPath, String scepPath, String challenge, X509Certificate caCertificate,
                             Optional<X509Certificate> trustedRoot, String topic, String organization, boolean personal,
                             List<String> serverCapabilities, Optional<String> managedAppleId) {
        this(serverUrl, mdmPath, scepPath, challenge, caCertificate, trustedRoot, topic, organization, personal, serverCapabilities,
                managedAppleId, Optional.empty());
    }

    /** @return the access rights the MDM payload grants */
    public int accessRights() {
        return personal ? ALL_ACCESS_RIGHTS - ERASE_RIGHT : ALL_ACCESS_RIGHTS;
    }

    /** @return the profile as a plist dictionary, with fresh payload UUIDs */
    public NSDictionary toPlist() {
        String scepUuid = UUID.randomUUID().toString().toUpperCase();
        List<NSDictionary> payloads = new ArrayList<>();
        trustedRoot.ifPresent(root -> {
            NSDictionary payload = payload("com.apple.security.root", IDENTIFIER + ".server-root", UUID.randomUUID().toString().toUpperCase(),
                    "Server certificate");
            payload.put("PayloadContent", new NSData(der(root)));
            payloads.add(payload);
        });

        NSDictionary scep = new NSDictionary();
        scep.put("URL", serverUrl + scepPath);
        scep.put("Name", organization);
        scep.put("Subject", new NSArray(
                new NSArray(new NSArray(new NSString("O"), new NSString(organization))),
                new NSArray(new NSArray(new NSString("CN"), new NSString("MDM device identity")))));
        scep.put("Challenge", challenge);
        scep.put("Keysize", 2048);
        scep.put("Key Type", "RSA");
        scep.put("Key Usage", 5);
        // Apple accepts an MD5 or SHA-1 fingerprint here; it pins which CA the device trusts to answer.
        scep.put("CAFingerprint", new NSData(sha1(der(caCertificate))));
        NSDictionary scepPayload = payload("com.apple.security.scep", IDENTIFIER + ".identity", scepUuid, "Device identity");
        scepPayload.put("PayloadContent", scep);
        payloads.add(scepPayload);

        NSDictionary mdm = payload("com.apple.mdm", IDENTIFIER + ".mdm", UUID.randomUUID().toString().toUpperCase(), "Device management");
        mdm.put("IdentityCertificateUUID", scepUuid);
        mdm.put("Topic", topic);
        mdm.put("ServerURL", serverUrl + mdmPath + "/connect");
        mdm.put("CheckInURL", serverUrl + mdmPath + "/checkin");
        mdm.put("CheckOutWhenRemoved", true);
        mdm.put("SignMessage", true);
        if (managedAppleId.isPresent()) {
            // ManagedAppleID makes an installed profile a user enrollment (iOS 13-17, macOS 10.15-14; Apple's schema
            // requires it there); AssignedManagedAppleID and EnrollmentMode are what account-driven enrollment
            // (iOS 15+, macOS 14+) reads. AccessRights is left out: the device ignores it under user enrollment, where
            // Apple fixes the rights (no erase, no personal apps, no device identifiers).
            mdm.put("ManagedAppleID", managedAppleId.get());
            mdm.put("AssignedManagedAppleID", managedAppleId.get());
            mdm.put("EnrollmentMode", "BYOD");
        } else {
            mdm.put("AccessRights", accessRights());
            // Account-driven device enrollment (iOS 17+, macOS 14+): the whole device, the person's Managed Apple Account
            // assigned, without ManagedAppleID, which would make it a user enrollment.
            assignedAccount.ifPresent(account -> {
                mdm.put("AssignedManagedAppleID", account);
                mdm.put("EnrollmentMode", "ADDE");
            });
        }
        mdm.put("ServerCapabilities", new NSArray(serverCapabilities.stream().map(NSString::new).toArray(NSObject[]::new)));
        payloads.add(mdm);

        NSDictionary profile = new NSDictionary();
        profile.put("PayloadType", "Configuration");
        profile.put("PayloadVersion", 1);
        profile.put("PayloadIdentifier", IDENTIFIER);
        profile.put("PayloadUUID", UUID.randomUUID().toString().toUpperCase());
        profile.put("PayloadDisplayName", organization + " device management");
        profile.put("PayloadDescription", managedAppleId.isPresent()
                ? "Enrolls this personal device in " + organization + "'s device management with " + managedAppleId.get()
                        + ". " + organization + " manages only its own accounts, apps and data, and cannot see or erase yours."
                : assignedAccount.isPresent()
                ? "Enrolls this device in " + organization + "'s device management with " + assignedAccount.get() + "."
                : personal
                ? "Enrolls this personal device in " + organization + "'s device management. It cannot erase the device."
                : "Enrolls this device in " + organization + "'s device management.");
        profile.put("PayloadOrganization", organization);
        profile.put("PayloadContent", new NSArray(payloads.toArray(NSObject[]::new)));
        return profile;
    }

    private static NSDictionary payload(String type, String identifier, String uuid, String displayName) {
        NSDictionary payload = new NSDictionary();
        payload.put("PayloadType", type);
        payload.put("PayloadVersion", 1);
        payload.put("PayloadIdentifier", identifier);
        payload.put("PayloadUUID", uuid);
        payload.put("PayloadDisplayName", displayName);
        return payload;
    }

    private static byte[] der(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("cannot encode certificate " + certificate.getSubjectX500Principal(), e);
        }
    }

    private static byte[] sha1(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is part of every Java runtime", e);
        }
    }
}
