package dev.shepherd.apple;

import com.dd.plist.NSArray;
import com.dd.plist.NSData;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSNumber;
import com.dd.plist.NSObject;
import com.dd.plist.NSString;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Compiles kernel settings into Apple configuration profiles, one profile per setting so that each can be
 * installed, replaced and removed on its own. The profile's identifier is derived from the setting key
 * ({@link #identifier(String)}), so a newer value replaces the installed profile and removal needs only the key.
 *
 * <p>Only keys Apple defines for the target OS are written (Apple's schemas in {@code apple-device-management} are
 * the reference, and the tests check every compiled profile against them). Values the kernel already validated
 * against the setting type's JSON schema arrive here; what cannot be expressed on Apple platforms raises
 * {@link UnsupportedSettingException} with a reason the admin sees on the device's setting state.
 */
public final class SettingProfiles {

    /** The setting types that compile to configuration profiles. */
    public static final Set<String> SUPPORTED_TYPES = Set.of("passcode", "wifi", "restrictions", "certificate", "encryption", "email", "vpn");
    private static final String PREFIX = "dev.shepherd.setting.";
    /** The certificate kinds that are client identities, which Wi-Fi and VPN settings may name as their certificate. */
    private static final Set<String> IDENTITY_KINDS = Set.of("PKCS12_IDENTITY", "SCEP_IDENTITY");
    private static final Pattern UNSAFE = Pattern.compile("[^A-Za-z0-9.-]");

    /** The operating system a profile is compiled for; some keys exist on one only. */
    public enum Os { IOS, MACOS }

    /** A setting that has no Apple equivalent on the target OS. */
    public static final class UnsupportedSettingException extends RuntimeException {
        public UnsupportedSettingException(String message) {
            super(message);
        }
    }

    private SettingProfiles() {
    }

    /**
     * @param settingKey the kernel setting key
     * @return the identifier of the profile a setting is installed as
     */
    public static String identifier(String settingKey) {
        return PREFIX + UNSAFE.matcher(settingKey).replaceAll("-");
    }

    /**
     * Compiles one setting.
     *
     * @param settingKey the setting's key
     * @param type the setting type
     * @param value the setting's value, valid for its type
     * @param os the target OS
     * @return the configuration profile
     * @throws UnsupportedSettingException when the setting cannot be expressed on the OS
     */
    public static NSDictionary compile(String settingKey, String type, Map<String, Object> value, Os os) {
        return compile(settingKey, type, value, os, name -> Optional.empty());
    }

    /**
     * Compiles one setting that may refer to others: a Wi-Fi network's or VPN's {@code certificate} names a client
     * identity certificate setting and a Wi-Fi network's {@code serverCertificates} trusted-root ones, whose payloads
     * are then carried in the setting's own profile, because Apple resolves {@code PayloadCertificateUUID} and
     * {@code PayloadCertificateAnchorUUID} only within one profile.
     *
     * @param certificates the value of the device's certificate setting of a name, if it has one
     * @throws UnsupportedSettingException when the setting cannot be expressed on the OS
     */
    public static NSDictionary compile(String settingKey, String type, Map<String, Object> value, Os os,
                                       Function<String, Optional<Map<String, Object>>> certificates) {
        return compile(settingKey, type, value, os, certificates, Optional.empty());
    }

    /**
     * As {@link #compile(String, String, Map, Os, Function)}, with the server's FileVault escrow certificate: an
     * encryption setting that escrows the recovery key then carries {@code com.apple.security.FDERecoveryKeyEscrow} and
     * the certificate in the FileVault profile, so the Mac reports its personal recovery key encrypted to it.
     *
     * @param escrowCertificate the escrow certificate; without it no key is escrowed
     * @throws UnsupportedSettingException when the setting cannot be expressed on the OS
     */
    public static NSDictionary compile(String settingKey, String type, Map<String, Object> value, Os os,
                                       Function<String, Optional<Map<String, Object>>> certificates,
                                       Optional<X509Certificate> escrowCertificate) {
        List<NSDictionary> payloads = switch (type) {
            case "passcode" -> List.of(passcode(value));
            case "wifi" -> wifi(value, certificates);
            case "restrictions" -> List.of(restrictions(value, os));
            case "certificate" -> List.of(certificate(value));
            case "encryption" -> encryption(value, os, escrowCertificate);
            case "email" -> List.of(email(value, os));
            case "vpn" -> vpn(value, os, certificates);
            default -> throw new UnsupportedSettingException("Apple platforms have no equivalent of " + type);
        };
        NSDictionary profile = new NSDictionary();
        profile.put("PayloadType", "Configuration");
        profile.put("PayloadVersion", 1);
        profile.put("PayloadIdentifier", identifier(settingKey));
        profile.put("PayloadUUID", uuid());
        profile.put("PayloadDisplayName", "Shepherd: " + settingKey);
        profile.put("PayloadOrganization", "Shepherd");
        profile.put("PayloadContent", new NSArray(payloads.toArray(NSObject[]::new)));
        return profile;
    }

    /**
     * The passcode policy in com.apple.mobiledevice.passwordpolicy's terms and ranges: a length or complexity beyond
     * Apple's limits (16 characters, 4 complex ones) is refused, not weakened; fewer failed attempts before wiping and an
     * earlier auto-lock (at most 15 minutes) are stricter than asked, so those are clamped into Apple's range.
     */
    private static NSDictionary passcode(Map<String, Object> value) {
        NSDictionary payload = payload("com.apple.mobiledevice.passwordpolicy", "passcode");
        bool(value, "required").ifPresent(required -> payload.put("forcePIN", required));
        integer(value, "minLength").ifPresent(length -> payload.put("minLength", atMost(length, 16, "minLength")));
        bool(value, "requireAlphanumeric").ifPresent(alpha -> payload.put("requireAlphanumeric", alpha));
        integer(value, "minComplexCharacters").ifPresent(count -> payload.put("minComplexChars", atMost(count, 4, "minComplexCharacters")));
        integer(value, "maxFailedAttempts").ifPresent(count -> payload.put("maxFailedAttempts", Math.max(2, Math.min(11, count))));
        integer(value, "maxInactivityMinutes").ifPresent(minutes -> payload.put("maxInactivity", Math.min(15, minutes)));
        integer(value, "maxAgeDays").filter(days -> days > 0).ifPresent(days -> payload.put("maxPINAgeInDays", days));
        integer(value, "historyCount").filter(count -> count > 0).ifPresent(count -> payload.put("pinHistory", count));
        return payload;
    }

    /**
     * A Wi-Fi network. Under WPA2/WPA3 Enterprise the setting's {@code certificate} names the device's client identity
     * (a {@code PKCS12_IDENTITY} or {@code SCEP_IDENTITY} certificate setting), carried in this profile and named by the
     * Wi-Fi payload's {@code PayloadCertificateUUID}; {@code serverCertificates} name the trusted roots the RADIUS
     * server's certificate must chain to, carried here too and listed in {@code EAPClientConfiguration}'s
     * {@code PayloadCertificateAnchorUUID}; {@code serverNames} become {@code TLSTrustedServerNames}. Apple resolves
     * these UUIDs within one profile only (com.apple.wifi.managed.yaml), hence the copies.
     */
    private static List<NSDictionary> wifi(Map<String, Object> value, Function<String, Optional<Map<String, Object>>> certificates) {
        List<NSDictionary> payloads = new ArrayList<>();
        NSDictionary payload = payload("com.apple.wifi.managed", "wifi");
        payload.put("SSID_STR", text(value, "ssid"));
        String security = text(value, "security");
        payload.put("EncryptionType", switch (security) {
            case "NONE" -> "None";
            case "WPA2_PERSONAL", "WPA2_ENTERPRISE" -> "WPA2";
            case "WPA3_PERSONAL", "WPA3_ENTERPRISE" -> "WPA3";
            default -> throw new UnsupportedSettingException("unknown Wi-Fi security " + security);
        });
        bool(value, "hidden").ifPresent(hidden -> payload.put("HIDDEN_NETWORK", hidden));
        bool(value, "autoJoin").ifPresent(autoJoin -> payload.put("AutoJoin", autoJoin));
        optionalText(value, "password").filter(password -> security.endsWith("PERSONAL")).ifPresent(password -> payload.put("Password", password));
        optionalText(value, "proxyUrl").ifPresent(url -> {
            payload.put("ProxyType", "Auto");
            payload.put("ProxyPACURL", url);
        });
        if (optionalText(value, "clientKeyAlias").isPresent()) {
            // Apple has no way to name a key pair already on the device; its identities travel in the profile.
            throw new UnsupportedSettingException("clientKeyAlias names an Android key pair; Apple devices take the client "
                    + "identity from certificate (a PKCS12_IDENTITY or SCEP_IDENTITY certificate setting)");
        }
        if (security.endsWith("ENTERPRISE")) {
            NSDictionary eap = new NSDictionary();
            String method = optionalText(value, "eapMethod").orElse("PEAP");
            eap.put("AcceptEAPTypes", new NSArray(new NSNumber(switch (method) {
                case "TLS" -> 13;
                case "TTLS" -> 21;
                default -> 25;
            })));
            optionalText(value, "identity").ifPresent(identity -> eap.put("UserName", identity));
            if (!method.equals("TLS")) {
                // PEAP and TTLS sign in with a name and password; EAP-TLS with the client identity alone.
                optionalText(value, "password").ifPresent(password -> eap.put("UserPassword", password));
            }
            Optional<String> identityName = optionalText(value, "certificate");
            if (method.equals("TLS") && identityName.isEmpty()) {
                throw new UnsupportedSettingException("EAP-TLS needs a client identity: set certificate to the name of a "
                        + "PKCS12_IDENTITY or SCEP_IDENTITY certificate setting");
            }
            identityName.ifPresent(name -> {
                NSDictionary identity = clientIdentity("Wi-Fi network", name, certificates);
                payloads.add(identity);
                payload.put("PayloadCertificateUUID", Plists.string(identity, "PayloadUUID"));
            });
            List<NSObject> anchors = new ArrayList<>();
            for (String name : texts(value, "serverCertificates")) {
                NSDictionary anchor = trustAnchor("Wi-Fi network", name, certificates);
                payloads.add(anchor);
                anchors.add(new NSString(Plists.string(anchor, "PayloadUUID")));
            }
            if (!anchors.isEmpty()) {
                eap.put("PayloadCertificateAnchorUUID", new NSArray(anchors.toArray(NSObject[]::new)));
            }
            List<String> serverNames = texts(value, "serverNames");
            if (!serverNames.isEmpty()) {
                eap.put("TLSTrustedServerNames", NSArray.fromJavaObject(serverNames));
            }
            payload.put("EAPClientConfiguration", eap);
        } else if (optionalText(value, "certificate").isPresent() || !texts(value, "serverCertificates").isEmpty()) {
            throw new UnsupportedSettingException("certificates are used by WPA2/WPA3 Enterprise networks only, not " + security);
        }
        payloads.add(payload);
        return payloads;
    }

    /**
     * The identity payload (PKCS#12 or SCEP) of the certificate setting a Wi-Fi network or VPN names as its client
     * certificate, refused with the reason when the device has no such setting or it is a trusted root.
     */
    private static NSDictionary clientIdentity(String owner, String name, Function<String, Optional<Map<String, Object>>> certificates) {
        Map<String, Object> certificate = certificates.apply(name).orElseThrow(() -> new UnsupportedSettingException(
                "the " + owner + "'s certificate \"" + name + "\" is not a certificate setting of this device"));
        if (!IDENTITY_KINDS.contains(certificate.get("kind"))) {
            throw new UnsupportedSettingException("the " + owner + "'s certificate \"" + name + "\" is a trusted root, not a client "
                    + "identity (PKCS12_IDENTITY or SCEP_IDENTITY)");
        }
        return certificate(certificate);
    }

    /** The certificate payload of a trusted-root certificate setting a Wi-Fi network names among its server CAs. */
    private static NSDictionary trustAnchor(String owner, String name, Function<String, Optional<Map<String, Object>>> certificates) {
        Map<String, Object> certificate = certificates.apply(name).orElseThrow(() -> new UnsupportedSettingException(
                "the " + owner + "'s server certificate \"" + name + "\" is not a certificate setting of this device"));
        if (!"TRUSTED_ROOT".equals(certificate.get("kind"))) {
            throw new UnsupportedSettingException("the " + owner + "'s server certificate \"" + name + "\" is a client identity, "
                    + "not a trusted root (TRUSTED_ROOT)");
        }
        return certificate(certificate);
    }

    /** A passcode limit Apple can hold, or the refusal saying Apple's maximum. */
    static int atMost(int value, int limit, String field) {
        if (value > limit) {
            throw new UnsupportedSettingException(field + " " + value + " is more than Apple's passcode policy allows (" + limit + ")");
        }
        return value;
    }

    private static NSDictionary restrictions(Map<String, Object> value, Os os) {
        NSDictionary payload = payload("com.apple.applicationaccess", "restrictions");
        restriction(value, "allowCamera", payload, "allowCamera", true);
        restriction(value, "allowScreenCapture", payload, "allowScreenShot", true);
        restriction(value, "allowAppInstallation", payload, "allowAppInstallation", os == Os.IOS);
        restriction(value, "allowUsbStorage", payload, "allowFilesUSBDriveAccess", os == Os.IOS);
        restriction(value, "allowBluetooth", payload, "allowBluetoothModification", true);
        restriction(value, "allowAirDrop", payload, "allowAirDrop", true);
        restriction(value, "allowCloudBackup", payload, "allowCloudBackup", os == Os.IOS);
        restriction(value, "allowFactoryReset", payload, "allowEraseContentAndSettings", true);
        restriction(value, "allowAccountChanges", payload, "allowAccountModification", true);
        return payload;
    }

    private static void restriction(Map<String, Object> value, String kernelKey, NSDictionary payload, String appleKey, boolean onThisOs) {
        if (onThisOs) {
            bool(value, kernelKey).ifPresent(allowed -> payload.put(appleKey, allowed));
        }
    }

    private static NSDictionary certificate(Map<String, Object> value) {
        String kind = text(value, "kind");
        String name = text(value, "name");
        return switch (kind) {
            case "TRUSTED_ROOT" -> {
                byte[] der = certificateDer(text(value, "data"));
                // A self-signed certificate is a root; anything else (an intermediate CA) goes in as PKCS#1, which
                // devices use to build chains without treating it as an anchor.
                NSDictionary payload = payload(selfSigned(der) ? "com.apple.security.root" : "com.apple.security.pkcs1", "certificate");
                payload.put("PayloadCertificateFileName", name + ".cer");
                payload.put("PayloadContent", new NSData(der));
                yield payload;
            }
            case "PKCS12_IDENTITY" -> {
                NSDictionary payload = payload("com.apple.security.pkcs12", "certificate");
                payload.put("PayloadCertificateFileName", name + ".p12");
                payload.put("PayloadContent", new NSData(base64(text(value, "data"), "data")));
                optionalText(value, "password").ifPresent(password -> payload.put("Password", password));
                yield payload;
            }
            case "SCEP_IDENTITY" -> {
                NSDictionary scep = new NSDictionary();
                scep.put("URL", text(value, "scepUrl"));
                scep.put("Name", name);
                optionalText(value, "scepChallenge").ifPresent(challenge -> scep.put("Challenge", challenge));
                optionalText(value, "subject").ifPresent(subject -> scep.put("Subject", subject(subject)));
                scep.put("Keysize", integer(value, "keySize").orElse(2048));
                scep.put("Key Type", "RSA");
                NSDictionary payload = payload("com.apple.security.scep", "certificate");
                payload.put("PayloadContent", scep);
                yield payload;
            }
            default -> throw new UnsupportedSettingException("unknown certificate kind " + kind);
        };
    }

    private static boolean selfSigned(byte[] der) {
        try {
            X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
            return certificate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal());
        } catch (CertificateException e) {
            throw new UnsupportedSettingException("the certificate is not a readable X.509 certificate: " + e.getMessage());
        }
    }

    private static List<NSDictionary> encryption(Map<String, Object> value, Os os, Optional<X509Certificate> escrowCertificate) {
        boolean required = bool(value, "required").orElse(false);
        if (os == Os.IOS) {
            // iOS encrypts all data once a passcode is set, so requiring encryption means requiring a passcode.
            NSDictionary payload = payload("com.apple.mobiledevice.passwordpolicy", "encryption");
            payload.put("forcePIN", required);
            return List.of(payload);
        }
        boolean escrow = bool(value, "escrowRecoveryKey").orElse(false);
        NSDictionary payload = payload("com.apple.MCX.FileVault2", "encryption");
        payload.put("Enable", required ? "On" : "Off");
        payload.put("Defer", true);
        payload.put("UseRecoveryKey", true);
        payload.put("ShowRecoveryKey", !escrow);
        if (!escrow || escrowCertificate.isEmpty()) {
            return List.of(payload);
        }
        // Apple resolves EncryptCertPayloadUUID within the profile: the certificate travels with the escrow payload.
        NSDictionary certificate = payload("com.apple.security.pkcs1", "encryption.escrow-certificate");
        certificate.put("PayloadCertificateFileName", "shepherd-filevault-escrow.cer");
        try {
            certificate.put("PayloadContent", new NSData(escrowCertificate.get().getEncoded()));
        } catch (CertificateEncodingException e) {
            throw new UnsupportedSettingException("the FileVault escrow certificate cannot be encoded: " + e.getMessage());
        }
        NSDictionary escrowPayload = payload("com.apple.security.FDERecoveryKeyEscrow", "encryption.escrow");
        escrowPayload.put("Location", "Your organisation's device management server (Shepherd)");
        escrowPayload.put("EncryptCertPayloadUUID", Plists.string(certificate, "PayloadUUID"));
        return List.of(payload, certificate, escrowPayload);
    }

    private static NSDictionary email(Map<String, Object> value, Os os) {
        String protocol = text(value, "protocol");
        if (protocol.equals("EXCHANGE")) {
            if (os != Os.IOS) {
                throw new UnsupportedSettingException("Exchange ActiveSync accounts are configured on iOS and iPadOS only");
            }
            NSDictionary payload = payload("com.apple.eas.account", "email");
            payload.put("Host", text(value, "host"));
            payload.put("SSL", bool(value, "useTls").orElse(true));
            optionalText(value, "emailAddress").ifPresent(address -> payload.put("EmailAddress", address));
            optionalText(value, "username").ifPresent(user -> payload.put("UserName", user));
            bool(value, "preventMove").ifPresent(prevent -> payload.put("PreventMove", prevent));
            return payload;
        }
        NSDictionary payload = payload("com.apple.mail.managed", "email");
        boolean tls = bool(value, "useTls").orElse(true);
        payload.put("EmailAccountDescription", text(value, "accountName"));
        payload.put("EmailAccountType", "EmailTypeIMAP");
        payload.put("IncomingMailServerHostName", text(value, "host"));
        payload.put("IncomingMailServerPortNumber", integer(value, "port").orElse(tls ? 993 : 143));
        payload.put("IncomingMailServerUseSSL", tls);
        payload.put("IncomingMailServerAuthentication", "EmailAuthPassword");
        payload.put("OutgoingMailServerHostName", optionalText(value, "smtpHost").orElse(text(value, "host")));
        payload.put("OutgoingMailServerPortNumber", tls ? 587 : 25);
        payload.put("OutgoingMailServerUseSSL", tls);
        payload.put("OutgoingMailServerAuthentication", "EmailAuthPassword");
        payload.put("OutgoingPasswordSameAsIncomingPassword", true);
        optionalText(value, "emailAddress").ifPresent(address -> payload.put("EmailAddress", address));
        optionalText(value, "username").ifPresent(user -> {
            payload.put("IncomingMailServerUsername", user);
            payload.put("OutgoingMailServerUsername", user);
        });
        if (os == Os.IOS) {
            // Apple's schema marks PreventMove n/a on macOS: Mail there lets messages move between accounts regardless.
            bool(value, "preventMove").ifPresent(prevent -> payload.put("PreventMove", prevent));
        }
        return payload;
    }

    /**
     * IKEv2, Cisco IPSec and L2TP are built into Apple's systems; WireGuard and SSL VPNs come with their vendor's app
     * and its own payload, so they are refused. Always-on is IKEv2 routing all traffic ({@code IncludeAllNetworks})
     * with an on-demand rule that always connects, which iOS can stop the user from switching off. Apple's
     * {@code AlwaysOn} VPN type is not used: it needs supervision, and its published schema has no place for the
     * server settings of each tunnel.
     */
    private static List<NSDictionary> vpn(Map<String, Object> value, Os os, Function<String, Optional<Map<String, Object>>> certificates) {
        String type = text(value, "type");
        String server = text(value, "server");
        Optional<String> username = optionalText(value, "username");
        Optional<String> sharedSecret = optionalText(value, "sharedSecret");
        boolean alwaysOn = bool(value, "alwaysOn").orElse(false);
        List<String> domains = texts(value, "onDemandDomains");
        List<NSDictionary> payloads = new ArrayList<>();
        Optional<String> certificateUuid = optionalText(value, "certificate").map(name -> {
            NSDictionary identity = clientIdentity("VPN", name, certificates);
            payloads.add(identity);
            return Plists.string(identity, "PayloadUUID");
        });
        NSDictionary payload = payload("com.apple.vpn.managed", "vpn");
        payload.put("UserDefinedName", text(value, "name"));
        switch (type) {
            case "IKEV2" -> {
                NSDictionary ikev2 = new NSDictionary();
                ikev2.put("RemoteAddress", server);
                ikev2.put("RemoteIdentifier", server);
                ikev2.put("LocalIdentifier", username.orElse(text(value, "name")));
                if (certificateUuid.isPresent()) {
                    ikev2.put("AuthenticationMethod", "Certificate");
                    ikev2.put("PayloadCertificateUUID", certificateUuid.get());
                } else if (sharedSecret.isPresent()) {
                    ikev2.put("AuthenticationMethod", "SharedSecret");
                    ikev2.put("SharedSecret", sharedSecret.get());
                } else {
                    // No machine credential: EAP with the user's name, the password asked for on the device.
                    ikev2.put("AuthenticationMethod", "None");
                    ikev2.put("ExtendedAuthEnabled", 1);
                    username.ifPresent(user -> ikev2.put("AuthName", user));
                }
                if (alwaysOn) {
                    if (os != Os.IOS) {
                        throw new UnsupportedSettingException("macOS always lets the user turn a VPN off; always-on is for iOS and iPadOS");
                    }
                    ikev2.put("IncludeAllNetworks", 1);
                    ikev2.put("OnDemandUserOverrideDisabled", 1);
                }
                onDemand(ikev2, alwaysOn, domains);
                payload.put("VPNType", "IKEv2");
                payload.put("IKEv2", ikev2);
            }
            case "IPSEC" -> {
                if (alwaysOn) {
                    throw new UnsupportedSettingException("Apple devices keep only IKEv2 VPNs always on, not Cisco IPSec");
                }
                NSDictionary ipsec = new NSDictionary();
                ipsec.put("RemoteAddress", server);
                if (certificateUuid.isPresent()) {
                    ipsec.put("AuthenticationMethod", "Certificate");
                    ipsec.put("PayloadCertificateUUID", certificateUuid.get());
                } else {
                    ipsec.put("AuthenticationMethod", "SharedSecret");
                    ipsec.put("LocalIdentifierType", "KeyID");
                    sharedSecret.ifPresent(secret -> ipsec.put("SharedSecret", new NSData(secret.getBytes(StandardCharsets.UTF_8))));
                }
                username.ifPresent(user -> {
                    ipsec.put("XAuthEnabled", 1);
                    ipsec.put("XAuthName", user);
                });
                onDemand(ipsec, false, domains);
                payload.put("VPNType", "IPSec");
                payload.put("IPSec", ipsec);
            }
            case "L2TP" -> {
                if (alwaysOn || !domains.isEmpty()) {
                    throw new UnsupportedSettingException("Apple devices connect L2TP VPNs neither always nor on demand; use IKEv2");
                }
                if (certificateUuid.isPresent()) {
                    throw new UnsupportedSettingException("Apple devices authenticate L2TP VPNs with a shared secret, not a certificate");
                }
                NSDictionary ppp = new NSDictionary();
                ppp.put("CommRemoteAddress", server);
                username.ifPresent(user -> ppp.put("AuthName", user));
                NSDictionary ipsec = new NSDictionary();
                ipsec.put("AuthenticationMethod", "SharedSecret");
                ipsec.put("LocalIdentifierType", "KeyID");
                sharedSecret.ifPresent(secret -> ipsec.put("SharedSecret", new NSData(secret.getBytes(StandardCharsets.UTF_8))));
                payload.put("VPNType", "L2TP");
                payload.put("PPP", ppp);
                payload.put("IPSec", ipsec);
            }
            default -> throw new UnsupportedSettingException("Apple devices have no built-in " + type
                    + " VPN; it comes with the vendor's app and its own VPN payload");
        }
        payloads.add(payload);
        return payloads;
    }

    /** Always connect, or connect when a listed domain is looked up and cannot be reached otherwise. */
    private static void onDemand(NSDictionary connection, boolean always, List<String> domains) {
        NSDictionary rule = new NSDictionary();
        if (always) {
            rule.put("Action", "Connect");
        } else if (!domains.isEmpty()) {
            NSDictionary evaluation = new NSDictionary();
            evaluation.put("Domains", NSArray.fromJavaObject(domains));
            evaluation.put("DomainAction", "ConnectIfNeeded");
            rule.put("Action", "EvaluateConnection");
            rule.put("ActionParameters", new NSArray(evaluation));
        } else {
            return;
        }
        connection.put("OnDemandEnabled", 1);
        connection.put("OnDemandRules", new NSArray(rule));
    }

    /** "CN=Alice,O=Example" as Apple's array of single-pair arrays. */
    private static NSArray subject(String subject) {
        List<NSObject> parts = new ArrayList<>();
        for (String part : subject.split(",")) {
            int equals = part.indexOf('=');
            if (equals <= 0) {
                throw new UnsupportedSettingException("subject part '" + part.trim() + "' is not NAME=value");
            }
            parts.add(new NSArray(new NSArray(new NSString(part.substring(0, equals).trim()), new NSString(part.substring(equals + 1).trim()))));
        }
        return new NSArray(parts.toArray(NSObject[]::new));
    }

    private static NSDictionary payload(String type, String name) {
        NSDictionary payload = new NSDictionary();
        String uuid = uuid();
        payload.put("PayloadType", type);
        payload.put("PayloadVersion", 1);
        payload.put("PayloadIdentifier", PREFIX + name + "." + uuid);
        payload.put("PayloadUUID", uuid);
        return payload;
    }

    private static byte[] certificateDer(String text) {
        String trimmed = text.trim();
        byte[] der = trimmed.startsWith("-----BEGIN")
                ? base64(trimmed.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", ""), "certificate")
                : base64(trimmed, "certificate");
        try {
            CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new UnsupportedSettingException("the certificate is not an X.509 certificate: " + e.getMessage());
        }
        return der;
    }

    private static byte[] base64(String text, String field) {
        try {
            return Base64.getMimeDecoder().decode(text.getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw new UnsupportedSettingException(field + " is not base64");
        }
    }

    private static String uuid() {
        return UUID.randomUUID().toString().toUpperCase();
    }

    private static String text(Map<String, Object> value, String key) {
        return optionalText(value, key).orElseThrow(() -> new UnsupportedSettingException(key + " is required"));
    }

    static Optional<String> optionalText(Map<String, Object> value, String key) {
        return value.get(key) instanceof String text && !text.isBlank() ? Optional.of(text) : Optional.empty();
    }

    /** The strings of an array value; none when absent. */
    private static List<String> texts(Map<String, Object> value, String key) {
        return value.get(key) instanceof List<?> list ? list.stream().filter(String.class::isInstance).map(String.class::cast).toList() : List.of();
    }

    static Optional<Boolean> bool(Map<String, Object> value, String key) {
        return value.get(key) instanceof Boolean flag ? Optional.of(flag) : Optional.empty();
    }

    static Optional<Integer> integer(Map<String, Object> value, String key) {
        return value.get(key) instanceof Number number ? Optional.of(number.intValue()) : Optional.empty();
    }
}
