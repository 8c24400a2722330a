package dev.shepherd.plugins.appstore.play;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.google.GoogleUrls;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The plugin's settings ({@code plugins.config.appstore-google-play} in {@code conf/shepherd.yaml}), checked once at
 * load so a mistake fails the plugin with the setting's name rather than a later call.
 *
 * @param apiUrl where the Android Management API is; Google's unless a test or a relay says otherwise
 * @param tokenUrl where OAuth2 access tokens are requested, overriding the service-account key's {@code token_uri}
 * @param enterprise the Android Enterprise whose managed Google Play this store is, {@code enterprises/{id}} (the one
 *        the Android plugin bound; its enterprise page shows the name); empty until an admin sets it
 * @param languageCode the language app titles and descriptions are asked in (BCP 47), or Google's default
 * @param iframeScriptUrl Google's script whose {@code gapi.iframes} embeds the managed Play iframe and delivers what
 *        the admin selects in it; loaded by the admin's browser
 * @param iframeUrl the managed Play iframe's page, shown in a frame of the console with the web token
 */
public record PlaySettings(URI apiUrl, Optional<URI> tokenUrl, Optional<String> enterprise, Optional<String> languageCode,
                           URI iframeScriptUrl, URI iframeUrl) {

    /** Google's production endpoint of the Android Management API. */
    public static final String GOOGLE_API = "https://androidmanagement.googleapis.com";
    /** Google's script for embedding its iframes ({@code gapi.load('gapi.iframes', …)}). */
    public static final String GOOGLE_IFRAME_SCRIPT = "https://apis.google.com/js/api.js";
    /** Where Google serves the managed Play iframe; the web token's value goes into its {@code token} parameter. */
    public static final String GOOGLE_PLAY_IFRAME = "https://play.google.com/work/embedded/search";
    private static final Pattern ENTERPRISE = Pattern.compile("enterprises/[A-Za-z0-9_-]{1,100}");
    private static final Pattern LANGUAGE = Pattern.compile("[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,3}");

    /** Validates every part. */
    public PlaySettings {
        requireNonNull(apiUrl, "apiUrl is null");
        requireNonNull(tokenUrl, "tokenUrl is null");
        requireNonNull(enterprise, "enterprise is null");
        requireNonNull(languageCode, "languageCode is null");
        requireNonNull(iframeScriptUrl, "iframeScriptUrl is null");
        requireNonNull(iframeUrl, "iframeUrl is null");
        enterprise.ifPresent(name -> {
            if (!ENTERPRISE.matcher(name).matches()) {
                throw new IllegalArgumentException("plugin setting 'enterprise' must look like enterprises/{enterpriseId}: " + name);
            }
        });
        languageCode.ifPresent(code -> {
            if (!LANGUAGE.matcher(code).matches()) {
                throw new IllegalArgumentException("plugin setting 'languageCode' must be a BCP 47 tag such as en-US: " + code);
            }
        });
    }

    /**
     * @param config the plugin's configuration
     * @return the settings
     * @throws IllegalArgumentException naming the setting that is malformed
     */
    public static PlaySettings from(PluginConfig config) {
        requireNonNull(config, "config is null");
        return new PlaySettings(GoogleUrls.setting("apiUrl", config.get("apiUrl", GOOGLE_API)),
                config.get("tokenUrl").filter(value -> !value.isBlank()).map(value -> GoogleUrls.setting("tokenUrl", value)),
                config.get("enterprise").filter(value -> !value.isBlank()),
                config.get("languageCode").filter(value -> !value.isBlank()),
                browserUrl("iframeScriptUrl", config.get("iframeScriptUrl", GOOGLE_IFRAME_SCRIPT)),
                browserUrl("iframeUrl", config.get("iframeUrl", GOOGLE_PLAY_IFRAME)));
    }

    /**
     * The origin of a URL the admin's browser loads, as the console's Content-Security-Policy names it.
     *
     * @param url an https URL
     * @return its scheme, host and port, such as {@code https://apis.google.com}
     */
    public static String origin(URI url) {
        return url.getScheme() + "://" + url.getRawAuthority();
    }

    /**
     * A URL the admin's browser loads from the console: https only, as the console admits nothing else (plain http
     * would hand the console to anyone on the way), with no user info, query or fragment.
     */
    private static URI browserUrl(String key, String value) {
        URI uri;
        try {
            uri = new URI(value.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("plugin setting '" + key + "' is not a URL: " + value, e);
        }
        if (!"https".equals(uri.getScheme()) || uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null
                || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("plugin setting '" + key + "' must be an https URL with a host and no user info, query or fragment: " + value);
        }
        return uri;
    }
}
