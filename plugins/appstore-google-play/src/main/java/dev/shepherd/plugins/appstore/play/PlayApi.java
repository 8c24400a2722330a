package dev.shepherd.plugins.appstore.play;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.google.AccessTokens;
import dev.shepherd.google.GoogleClient;
import dev.shepherd.google.GoogleException;
import dev.shepherd.google.RetryPolicy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The two calls of the Android Management API (v1) managed Google Play needs: {@code enterprises.webTokens.create}
 * for the managed Play iframe and {@code enterprises.applications.get} for an app's details. They go through the
 * shared {@link GoogleClient} as the uploaded service account with the scope {@value #SCOPE}; both are safe to repeat.
 * An admin waits for either (the iframe, adding an app) or the kernel's store call does, which has its own time limit,
 * so each is tried once with a short timeout; the kernel's next sync is the retry.
 */
@Singleton
public final class PlayApi {

    /** The only scope the plugin asks for. */
    public static final String SCOPE = "https://www.googleapis.com/auth/androidmanagement";
    /** An Android package name (Java package syntax, at least two segments), the only app id put into a URL path. */
    public static final Pattern PACKAGE_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*(\\.[A-Za-z][A-Za-z0-9_]*)+");
    /** Android's longest package name (PackageManager refuses longer ones). */
    static final int MAX_PACKAGE_NAME = 255;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final PlaySettings settings;
    private final GoogleClient google;
    private final RetryPolicy once = RetryPolicy.once(TIMEOUT);
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    public PlayApi(PlayServiceAccountKeys keys, PlayContext context) {
        requireNonNull(keys, "keys is null");
        this.settings = requireNonNull(context, "context is null").settings();
        this.google = GoogleClient.asServiceAccount(keys, new AccessTokens.Grant(SCOPE, Optional.empty(), settings.tokenUrl()));
    }

    /** @return whether a text is a package name Android accepts */
    public static boolean isPackageName(String text) {
        return text != null && text.length() <= MAX_PACKAGE_NAME && PACKAGE_NAME.matcher(text).matches();
    }

    /**
     * {@code enterprises.webTokens.create}: a token for the managed Google Play iframe embedded in {@code parentFrameUrl},
     * with the features admins use there.
     *
     * @param enterprise the enterprise's name
     * @param parentFrameUrl the URL of the console page that embeds the iframe
     * @param features the iframe's features ({@code WebToken.enabledFeatures})
     * @return the token's value
     */
    public String createWebToken(String enterprise, String parentFrameUrl, List<String> features) throws GoogleException {
        ObjectNode token = json.createObjectNode();
        token.put("parentFrameUrl", parentFrameUrl);
        ArrayNode enabled = token.putArray("enabledFeatures");
        features.forEach(enabled::add);
        JsonNode created = call("POST", "/v1/" + enterprise + "/webTokens", Optional.of(token));
        String value = created.path("value").asText("");
        if (value.isBlank()) {
            throw new GoogleException(502, "Google created a web token without a value", true);
        }
        return value;
    }

    /**
     * {@code enterprises.applications.get}.
     *
     * @return the app, or empty when Google does not know the package (404)
     */
    public Optional<JsonNode> application(String enterprise, String packageName) throws GoogleException {
        if (!isPackageName(packageName)) {
            return Optional.empty();
        }
        String query = settings.languageCode().map(code -> "?languageCode=" + URLEncoder.encode(code, StandardCharsets.UTF_8)).orElse("");
        try {
            return Optional.of(call("GET", "/v1/" + enterprise + "/applications/" + packageName + query, Optional.empty()));
        } catch (GoogleException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private JsonNode call(String method, String pathAndQuery, Optional<JsonNode> body) throws GoogleException {
        try {
            return google.call(method, URI.create(settings.apiUrl() + pathAndQuery), body, once);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GoogleException(0, "interrupted while calling the Android Management API", true);
        }
    }
}
