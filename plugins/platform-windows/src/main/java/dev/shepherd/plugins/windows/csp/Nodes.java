package dev.shepherd.plugins.windows.csp;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Node URIs of the device-wide configuration service providers, and the names that go into them. */
final class Nodes {

    static final String DEVICE = "./Device/Vendor/MSFT/";
    static final String POLICY = DEVICE + "Policy/Config/";

    private Nodes() {
    }

    /**
     * A name as one segment of a node URI. Windows wants dynamic node names (an SSID, a VPN profile name) escaped as
     * RFC 2396 URI characters and unescapes them itself, so every byte outside the unreserved letters, digits and
     * {@code -_.~} is %-escaped from its UTF-8 form; a slash can then never start a new segment.
     */
    static String segment(String name) {
        StringBuilder out = new StringBuilder();
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(HexFormat.of().withUpperCase().toHexDigits(b));
            }
        }
        return out.toString();
    }

    /**
     * A node name made from a setting's name where Windows only needs it to be unique (a certificate install's
     * UniqueID): letters, digits and dashes, with a digest of the whole name so that names differing only in other
     * characters stay apart.
     */
    static String uniqueId(String name) {
        String readable = name.replaceAll("[^A-Za-z0-9-]", "-");
        if (readable.length() > 40) {
            readable = readable.substring(0, 40);
        }
        return "shepherd-" + readable + "-" + HexFormat.of().formatHex(sha256(name.getBytes(StandardCharsets.UTF_8)), 0, 4);
    }

    static byte[] sha256(byte[] data) {
        return digest("SHA-256", data);
    }

    static byte[] sha1(byte[] data) {
        return digest("SHA-1", data);
    }

    private static byte[] digest(String algorithm, byte[] data) {
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no " + algorithm, e);
        }
    }
}
