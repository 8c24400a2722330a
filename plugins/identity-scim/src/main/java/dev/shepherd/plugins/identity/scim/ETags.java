package dev.shepherd.plugins.identity.scim;

/** Matching {@code If-Match} and {@code If-None-Match} (RFC 9110 §13.1, weak comparison) against a resource's version. */
final class ETags {

    private ETags() {
    }

    /**
     * @param header the header's value: {@code *}, or entity tags separated by commas, weak or strong
     * @return whether it names the resource's current version
     */
    static boolean matches(String header, StoredResource resource) {
        String current = opaque(resource.etag());
        for (String tag : header.split(",")) {
            String trimmed = tag.trim();
            if (trimmed.equals("*") || opaque(trimmed).equals(current)) {
                return true;
            }
        }
        return false;
    }

    private static String opaque(String tag) {
        String strong = tag.startsWith("W/") ? tag.substring(2) : tag;
        return strong.length() >= 2 && strong.startsWith("\"") && strong.endsWith("\"") ? strong.substring(1, strong.length() - 1) : strong;
    }
}
