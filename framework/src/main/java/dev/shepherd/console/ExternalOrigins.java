package dev.shepherd.console;

import dev.shepherd.api.console.ExternalOrigin;
import dev.shepherd.http.ContentSecurityPolicy;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The kernel's rules for the origins console pages declare ({@link ExternalOrigin}), and the console document's policy
 * that admits them. An origin is {@code https}, a host and an optional port, nothing else: the policy is the admin's
 * browser's last line against injected script, so what it admits must be exactly a server the plugin names, reached
 * over TLS. Plain {@code http} is refused even to loopback (a script fetched in the clear is anyone's script on the way,
 * and a test switch admitting it could be left on in production); tests run https stand-ins instead. Wildcards are
 * refused because they admit hosts nobody named; paths because a policy's path matching is lost on redirects and would
 * suggest a confinement it does not give.
 */
final class ExternalOrigins {

    /** More origins than a page could reasonably need is a mistake (or a page admitting the world one host at a time). */
    static final int MAX_PER_PAGE = 16;
    private static final Pattern DNS_NAME = Pattern.compile(
            "(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*");
    private static final Pattern IPV6_LITERAL = Pattern.compile("\\[[0-9a-f:.]{2,45}]");
    private static final int HTTPS_PORT = 443;
    private static final int MAX_LENGTH = 300;

    private ExternalOrigins() {
    }

    /**
     * The origins a page declared, as the kernel admits them, or none if it refuses any.
     *
     * @param declared what the page declared ({@code ConsolePage.externalOrigins()})
     * @return the admitted origins, without repeats, by kind and origin
     * @throws IllegalArgumentException saying in plain words what is refused and why
     */
    static List<ExternalOrigin> admittedAll(Set<ExternalOrigin> declared) {
        if (declared == null || declared.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException("the set of external origins is missing or holds nothing (null)");
        }
        if (declared.size() > MAX_PER_PAGE) {
            throw new IllegalArgumentException(declared.size() + " external origins, more than " + MAX_PER_PAGE);
        }
        return declared.stream().map(ExternalOrigins::admitted).distinct()
                .sorted(Comparator.comparing(ExternalOrigin::kind).thenComparing(ExternalOrigin::origin)).toList();
    }

    /**
     * An origin as the kernel admits it: lower case, without the default port.
     *
     * @param declared what the page declared
     * @return the origin to admit
     * @throws IllegalArgumentException saying in plain words which rule the origin breaks
     */
    static ExternalOrigin admitted(ExternalOrigin declared) {
        requireNonNull(declared, "declared is null");
        String text = declared.origin();
        if (text.length() > MAX_LENGTH) {
            throw refused(declared.kind(), text.substring(0, 40) + "…", "it is longer than " + MAX_LENGTH + " characters");
        }
        if (text.contains("*")) {
            throw refused(declared.kind(), text, "wildcards are not admitted; name each host");
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw refused(declared.kind(), text, "it is not a URL");
        }
        if (uri.getScheme() == null || !uri.getScheme().toLowerCase(Locale.ROOT).equals("https")) {
            throw refused(declared.kind(), text, "only https origins are admitted (plain http is refused, also for loopback addresses)");
        }
        if (uri.isOpaque() || uri.getRawAuthority() == null || uri.getHost() == null) {
            throw refused(declared.kind(), text, "it names no host");
        }
        if (uri.getRawUserInfo() != null) {
            throw refused(declared.kind(), text, "an origin carries no user info");
        }
        if (!uri.getRawPath().isEmpty() || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw refused(declared.kind(), text, "an origin has no path (not even /), query or fragment");
        }
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        if (!DNS_NAME.matcher(host).matches() && !IPV6_LITERAL.matcher(host).matches()) {
            throw refused(declared.kind(), text, "the host is not a DNS name or an IP address");
        }
        int port = uri.getPort();
        if (port == 0 || port > 65535) {
            throw refused(declared.kind(), text, "the port is not 1 to 65535");
        }
        return new ExternalOrigin(declared.kind(), "https://" + host + (port < 0 || port == HTTPS_PORT ? "" : ":" + port));
    }

    /**
     * @param kind what a page loads from an origin
     * @return the policy directive for that kind
     */
    static String directive(ExternalOrigin.Kind kind) {
        return switch (requireNonNull(kind, "kind is null")) {
            case SCRIPT -> "script-src";
            case FRAME -> "frame-src";
            case CONNECT -> "connect-src";
            case IMAGE -> "img-src";
        };
    }

    /**
     * @param origins admitted origins ({@link #admitted})
     * @return the console document's Content-Security-Policy: the strict one with these origins for their kinds
     */
    static String policy(Collection<ExternalOrigin> origins) {
        Map<ExternalOrigin.Kind, Set<String>> byKind = new EnumMap<>(ExternalOrigin.Kind.class);
        origins.forEach(origin -> byKind.computeIfAbsent(origin.kind(), kind -> new TreeSet<>()).add(origin.origin()));
        Map<String, Set<String>> additions = new LinkedHashMap<>();
        byKind.forEach((kind, sources) -> additions.put(directive(kind), sources));
        return ContentSecurityPolicy.withAdditions(additions);
    }

    private static IllegalArgumentException refused(ExternalOrigin.Kind kind, String origin, String rule) {
        return new IllegalArgumentException("the " + kind.name().toLowerCase(Locale.ROOT) + " origin '" + origin + "' is refused: " + rule);
    }
}
