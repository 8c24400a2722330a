package dev.shepherd.plugins.threat.defender;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * What an admin enters to connect Defender: the Entra app registration that reads it and the API region.
 *
 * @param tenantId the Entra tenant's id (a GUID) or one of its domain names
 * @param clientId the app registration's application (client) id, a GUID
 * @param clientSecret the app's client secret; kept sealed, never returned or logged
 * @param apiBaseUrl the Defender API's root, one of {@link #API_BASE_URLS} (the global one or a region close to the
 *        tenant's data); any URL on a loopback address is accepted too, for tests and local relays
 * @param machineTag when present, only machines carrying this Defender tag are read
 */
public record DefenderCredentials(String tenantId, String clientId, String clientSecret, URI apiBaseUrl,
                                  Optional<String> machineTag) {

    /**
     * The API roots Microsoft documents: the global one, the regional ones ("use the server closer to your geo
     * location") and their older {@code securitycenter} names. US Government clouds sign in elsewhere and are not
     * supported.
     */
    public static final List<String> API_BASE_URLS = List.of(
            "https://api.security.microsoft.com",
            "https://us.api.security.microsoft.com", "https://eu.api.security.microsoft.com",
            "https://uk.api.security.microsoft.com", "https://au.api.security.microsoft.com",
            "https://swa.api.security.microsoft.com", "https://ina.api.security.microsoft.com",
            "https://api.securitycenter.microsoft.com",
            "https://api-us.securitycenter.microsoft.com", "https://api-eu.securitycenter.microsoft.com",
            "https://api-uk.securitycenter.microsoft.com", "https://api-au.securitycenter.microsoft.com");

    private static final Pattern GUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern DOMAIN = Pattern.compile("(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}");
    private static final int MAX_SECRET_LENGTH = 1_024;
    private static final int MAX_TAG_LENGTH = 200;

    /** Validates every part; the messages name the field and never repeat the secret. */
    public DefenderCredentials {
        requireNonNull(tenantId, "tenantId is null");
        requireNonNull(clientId, "clientId is null");
        requireNonNull(clientSecret, "clientSecret is null");
        requireNonNull(apiBaseUrl, "apiBaseUrl is null");
        requireNonNull(machineTag, "machineTag is null");
        tenantId = tenantId.trim();
        clientId = clientId.trim();
        if (!GUID.matcher(tenantId).matches() && !DOMAIN.matcher(tenantId).matches()) {
            throw new IllegalArgumentException("tenantId must be the Entra tenant's id (a GUID) or one of its domain names");
        }
        if (!GUID.matcher(clientId).matches()) {
            throw new IllegalArgumentException("clientId must be the app registration's application (client) id, a GUID");
        }
        if (clientSecret.isBlank() || clientSecret.length() > MAX_SECRET_LENGTH) {
            throw new IllegalArgumentException("clientSecret must be the app's client secret value (not its id), at most 1024 characters");
        }
        apiBaseUrl = checkedApiBaseUrl(apiBaseUrl);
        machineTag = machineTag.map(String::trim).filter(tag -> !tag.isEmpty());
        if (machineTag.map(tag -> tag.length() > MAX_TAG_LENGTH || tag.chars().anyMatch(Character::isISOControl)).orElse(false)) {
            throw new IllegalArgumentException("machineTag must be at most 200 characters without control characters");
        }
    }

    private static URI checkedApiBaseUrl(URI url) {
        String text = url.toString();
        if (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        if (API_BASE_URLS.contains(text)) {
            return URI.create(text);
        }
        URI trimmed = URI.create(text);
        boolean web = "https".equals(trimmed.getScheme()) || "http".equals(trimmed.getScheme());
        if (web && trimmed.getHost() != null && trimmed.getRawQuery() == null && isLoopback(trimmed.getHost())) {
            return trimmed;
        }
        throw new IllegalArgumentException("apiBaseUrl must be one of Microsoft's Defender API roots (" + String.join(", ", API_BASE_URLS)
                + ") or a URL on a loopback address");
    }

    private static boolean isLoopback(String host) {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (!bare.equals("localhost") && !bare.matches("[0-9.]+") && !bare.contains(":")) {
            return false; // a name other than localhost is never resolved here
        }
        try {
            return InetAddress.getByName(bare).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Hides the secret from logs and exception messages. */
    @Override
    public String toString() {
        return "DefenderCredentials[tenantId=" + tenantId + ", clientId=" + clientId + ", apiBaseUrl=" + apiBaseUrl
                + ", machineTag=" + machineTag.orElse("") + "]";
    }
}
