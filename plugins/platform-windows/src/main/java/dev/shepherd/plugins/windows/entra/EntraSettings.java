package dev.shepherd.plugins.windows.entra;

import dev.shepherd.api.config.PluginConfig;

import java.net.URI;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * How Windows devices joining Microsoft Entra ID enroll automatically: which tenants may enroll, which audience their
 * access token must be for (the MDM application's Application ID URI, and for v2 tokens its client id), and where
 * Entra's OpenID configuration is read from. Plugin settings:
 * <ul>
 *   <li>{@code entraEnrollment}: {@code true} to accept Entra access tokens (default false)</li>
 *   <li>{@code entraTenants}: the allowed tenant ids (GUIDs), comma-separated</li>
 *   <li>{@code entraAudiences}: the accepted {@code aud} values, comma-separated</li>
 *   <li>{@code entraAuthority}: the base of Entra's endpoints, default {@code https://login.microsoftonline.com};
 *       plain HTTP only on the loopback interface (a local stand-in)</li>
 *   <li>{@code entraTermsOfUse}: the terms the user accepts on the terms-of-use page, plain text</li>
 * </ul>
 *
 * @see <a href="https://learn.microsoft.com/en-us/windows/client-management/azure-active-directory-integration-with-mdm">Microsoft
 *      Entra integration with MDM</a>
 */
public record EntraSettings(boolean enabled, Set<String> tenants, Set<String> audiences, URI authority, String termsOfUse) {

    /** The public cloud's sign-in authority. */
    public static final String PUBLIC_CLOUD = "https://login.microsoftonline.com";
    private static final Pattern GUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    /** Checks the settings hang together: an enabled setup names its tenants and audiences. */
    public EntraSettings {
        tenants = Set.copyOf(requireNonNull(tenants, "tenants is null"));
        audiences = Set.copyOf(requireNonNull(audiences, "audiences is null"));
        requireNonNull(authority, "authority is null");
        requireNonNull(termsOfUse, "termsOfUse is null");
        for (String tenant : tenants) {
            if (!GUID.matcher(tenant).matches()) {
                throw new IllegalArgumentException("plugin setting 'entraTenants': '" + tenant + "' is not a tenant id (a GUID)");
            }
        }
        boolean loopback = "http".equals(authority.getScheme()) && ("127.0.0.1".equals(authority.getHost())
                || "localhost".equals(authority.getHost()) || "[::1]".equals(authority.getHost()));
        if (!"https".equals(authority.getScheme()) && !loopback) {
            throw new IllegalArgumentException("plugin setting 'entraAuthority' must be an https URL");
        }
        if (enabled && (tenants.isEmpty() || audiences.isEmpty())) {
            throw new IllegalArgumentException("Entra enrollment needs 'entraTenants' and 'entraAudiences'");
        }
    }

    /** Reads the settings; malformed ones are refused with {@link IllegalArgumentException}. */
    public static EntraSettings from(PluginConfig config, String organization) {
        String defaultTerms = organization + " manages this device: it applies the organisation's security settings and apps, "
                + "reads the device's inventory (model, operating system, installed apps) and may erase organisation data or "
                + "the whole device if it is lost or leaves the organisation. It does not read your personal files or messages.";
        return new EntraSettings(config.getBoolean("entraEnrollment", false),
                list(config.get("entraTenants", "")).stream().map(tenant -> tenant.toLowerCase(Locale.ROOT)).collect(Collectors.toSet()),
                list(config.get("entraAudiences", "")), URI.create(config.get("entraAuthority", PUBLIC_CLOUD).replaceAll("/+$", "")),
                config.get("entraTermsOfUse", defaultTerms));
    }

    private static Set<String> list(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(",")).map(String::trim).filter(item -> !item.isEmpty()).collect(Collectors.toSet());
    }
}
