package dev.shepherd.google;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;

import static java.util.Objects.requireNonNull;

/**
 * The rule for the URLs Shepherd sends Google credentials to (API base URLs, token endpoints): https, or plain http to
 * a loopback address only, for a stand-in in tests or a relay on the same machine. Requests carry the access token,
 * and the token request the signed assertion; neither may cross a network in the clear.
 */
public final class GoogleUrls {

    private GoogleUrls() {
    }

    /**
     * Reads a URL setting of a plugin.
     *
     * @param key the setting's name, for the message
     * @param value the URL
     * @return the URL without trailing slashes, so that paths can be appended to it
     * @throws IllegalArgumentException naming the setting, when the value is not a URL Google may be called at
     */
    public static URI setting(String key, String value) {
        requireNonNull(key, "key is null");
        requireNonNull(value, "value is null");
        URI uri;
        try {
            uri = URI.create(value.trim().replaceAll("/+$", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("plugin setting '" + key + "' is not a URL: " + value, e);
        }
        if (uri.getHost() == null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("plugin setting '" + key + "' must be a URL with a host and no user info: " + value);
        }
        if (!mayCarryCredentials(uri)) {
            throw new IllegalArgumentException("plugin setting '" + key + "' must be an https URL (http only to a loopback address): " + value);
        }
        return uri;
    }

    /**
     * @param uri a URL
     * @return whether credentials may be sent to it: it has a host and no user info, and is https or http to a
     *         loopback address
     */
    public static boolean mayCarryCredentials(URI uri) {
        requireNonNull(uri, "uri is null");
        if (uri.getHost() == null || uri.getRawUserInfo() != null) {
            return false;
        }
        return "https".equals(uri.getScheme()) || "http".equals(uri.getScheme()) && loopback(uri.getHost());
    }

    private static boolean loopback(String host) {
        if (host.equals("localhost")) {
            return true;
        }
        // Literal addresses only: resolving a name here would ask DNS, which may answer differently later.
        if (!host.matches("[0-9.]+|\\[[0-9a-fA-F:]+]")) {
            return false;
        }
        try {
            return InetAddress.getByName(host.replace("[", "").replace("]", "")).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
