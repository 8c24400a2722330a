package dev.shepherd.plugins.windows.csp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static dev.shepherd.plugins.windows.csp.SettingCsps.integer;
import static dev.shepherd.plugins.windows.csp.SettingCsps.required;
import static dev.shepherd.plugins.windows.csp.SettingCsps.text;

/**
 * The {@code certificate} setting: trusted roots through the RootCATrustedCertificates CSP, client identities through
 * the ClientCertificateInstall CSP, either a PKCS#12 file ({@code PFXCertInstall}) or a certificate the device
 * requests over SCEP. Everything goes to the device's (machine) stores, where Wi-Fi and VPN profiles find it.
 */
final class CertificateCsps {

    private static final String TRUSTED = Nodes.DEVICE + "RootCATrustedCertificates/";
    private static final String CLIENT = Nodes.DEVICE + "ClientCertificateInstall/";
    /** The client-authentication extended key usage, what Wi-Fi and VPN servers look for. */
    private static final String CLIENT_AUTH_EKU = "1.3.6.1.5.5.7.3.2";
    /** Digital signature (0x80) and key encipherment (0x20). */
    private static final int KEY_USAGE = 0x80 | 0x20;

    private CertificateCsps() {
    }

    static List<CspOperation> install(Map<String, Object> value, Function<String, Optional<String>> scepRootThumbprint) {
        String kind = required(value, "kind");
        String name = required(value, "name");
        return switch (kind) {
            case "TRUSTED_ROOT" -> {
                X509Certificate certificate = x509(required(value, "data"));
                byte[] der = encoded(certificate);
                yield List.of(CspOperation.add(trustedNode(certificate) + "/EncodedCertificate", "b64", Base64.getEncoder().encodeToString(der)));
            }
            case "PKCS12_IDENTITY" -> pfx(name, value);
            case "SCEP_IDENTITY" -> scep(name, value, scepRootThumbprint);
            default -> throw new UnsupportedSettingException("unknown certificate kind " + kind);
        };
    }

    /** Deleting the certificate's node removes the certificate, and for an identity its private key. */
    static List<CspOperation> remove(Map<String, Object> installedValue) {
        String kind = required(installedValue, "kind");
        String name = required(installedValue, "name");
        return switch (kind) {
            case "TRUSTED_ROOT" -> List.of(CspOperation.delete(trustedNode(x509(required(installedValue, "data")))));
            case "PKCS12_IDENTITY" -> List.of(CspOperation.delete(CLIENT + "PFXCertInstall/" + Nodes.uniqueId(name)));
            case "SCEP_IDENTITY" -> List.of(CspOperation.delete(CLIENT + "SCEP/" + Nodes.uniqueId(name)));
            default -> throw new UnsupportedSettingException("unknown certificate kind " + kind);
        };
    }

    /**
     * A self-signed certificate is a root and goes to the Root store; anything else is an intermediate CA and goes to
     * the CA store, where Windows builds chains from it without trusting it as an anchor. Nodes are named by the
     * certificate's SHA-1 thumbprint, as the CSP requires.
     */
    private static String trustedNode(X509Certificate certificate) {
        String store = certificate.getSubjectX500Principal().equals(certificate.getIssuerX500Principal()) ? "Root" : "CA";
        return TRUSTED + store + "/" + thumbprint(certificate);
    }

    /** The certificate's SHA-1 thumbprint in uppercase hex, as Windows names certificates. */
    static String thumbprint(X509Certificate certificate) {
        return HexFormat.of().withUpperCase().formatHex(Nodes.sha1(encoded(certificate)));
    }

    private static List<CspOperation> pfx(String name, Map<String, Object> value) {
        byte[] pkcs12 = base64(required(value, "data"), "PKCS#12 data");
        Optional<String> password = text(value, "password");
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(pkcs12), password.orElse("").toCharArray());
            if (Collections.list(store.aliases()).stream().noneMatch(alias -> isKey(store, alias))) {
                throw new UnsupportedSettingException("the PKCS#12 data holds no private key, so it is no client identity");
            }
        } catch (IOException | GeneralSecurityException e) {
            // The JDK's message says nothing of the password itself; it is not repeated here either.
            throw new UnsupportedSettingException("the PKCS#12 data cannot be opened with its password: " + e.getMessage());
        }
        String node = CLIENT + "PFXCertInstall/" + Nodes.uniqueId(name) + "/";
        List<CspOperation> operations = new ArrayList<>();
        // 2: in the TPM where there is one, in software otherwise. A TPM key cannot be exported; PFXKeyExportable
        // applies only to software keys (KeyLocation 3), so it is not sent.
        operations.add(CspOperation.add(node + "KeyLocation", "int", "2"));
        password.ifPresent(secret -> {
            operations.add(CspOperation.add(node + "PFXCertPassword", "chr", secret));
            // 0: the password is sent as it is, inside the TLS-protected management session.
            operations.add(CspOperation.add(node + "PFXCertPasswordEncryptionType", "int", "0"));
        });
        // Adding the blob installs the certificate, so every other parameter of the install comes before it.
        operations.add(CspOperation.add(node + "PFXCertBlob", "b64", Base64.getEncoder().encodeToString(pkcs12)));
        return operations;
    }

    private static boolean isKey(KeyStore store, String alias) {
        try {
            return store.isKeyEntry(alias);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static List<CspOperation> scep(String name, Map<String, Object> value, Function<String, Optional<String>> scepRootThumbprint) {
        String url = required(value, "scepUrl");
        String subject = required(value, "subject");
        String challenge = text(value, "scepChallenge").orElseThrow(() -> new UnsupportedSettingException(
                "Windows' SCEP client needs a challenge (scepChallenge)"));
        // Windows checks the SCEP server's CA against a root thumbprint the server names; the setting has none.
        String thumbprint = scepRootThumbprint.apply(url).orElseThrow(() -> new UnsupportedSettingException(
                "Windows verifies the SCEP server's CA against a root certificate thumbprint, and none is known for " + url
                        + "; Windows can request certificates from Shepherd's own SCEP service"));
        int keySize = integer(value, "keySize").orElse(2048);
        if (keySize != 1024 && keySize != 2048 && keySize != 4096) {
            throw new UnsupportedSettingException("Windows' SCEP client makes 1024, 2048 or 4096-bit keys, not " + keySize);
        }
        String node = CLIENT + "SCEP/" + Nodes.uniqueId(name);
        String install = node + "/Install/";
        List<CspOperation> operations = new ArrayList<>();
        operations.add(new CspOperation("Add", node, Optional.of("node"), Optional.empty()));
        operations.add(CspOperation.add(install + "ServerURL", "chr", url));
        operations.add(CspOperation.add(install + "Challenge", "chr", challenge));
        operations.add(CspOperation.add(install + "CAThumbprint", "chr", thumbprint));
        operations.add(CspOperation.add(install + "SubjectName", "chr", subject));
        operations.add(CspOperation.add(install + "KeyLength", "int", Integer.toString(keySize)));
        operations.add(CspOperation.add(install + "KeyUsage", "int", Integer.toString(KEY_USAGE)));
        operations.add(CspOperation.add(install + "EKUMapping", "chr", CLIENT_AUTH_EKU));
        operations.add(CspOperation.add(install + "HashAlgorithm", "chr", "SHA-2"));
        // 2: the key in the TPM where there is one, in software otherwise.
        operations.add(CspOperation.add(install + "KeyProtection", "int", "2"));
        operations.add(CspOperation.exec(install + "Enroll", Optional.empty(), Optional.empty()));
        return operations;
    }

    static X509Certificate x509(String data) {
        String trimmed = data.trim();
        byte[] der = trimmed.startsWith("-----BEGIN")
                ? base64(trimmed.replaceAll("-----[A-Z0-9 ]+-----", ""), "certificate")
                : base64(trimmed, "certificate");
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException | ClassCastException e) {
            throw new UnsupportedSettingException("the certificate is not a readable X.509 certificate: " + e.getMessage());
        }
    }

    private static byte[] encoded(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (CertificateException e) {
            throw new UnsupportedSettingException("the certificate cannot be encoded: " + e.getMessage());
        }
    }

    private static byte[] base64(String text, String what) {
        try {
            return Base64.getDecoder().decode(text.replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw new UnsupportedSettingException("the " + what + " is not base64: " + e.getMessage());
        }
    }
}
