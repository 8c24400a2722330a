package dev.shepherd.http;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The Content-Security-Policy of Shepherd's responses: scripts, styles, frames and requests from this server's own
 * files only (no inline script or style, no eval), images also from {@code data:} URLs (enrollment pages embed their
 * QR codes), no plugins, no {@code <base>}, forms posted only here, and no framing of Shepherd by anyone. The console
 * document may admit further sources per directive ({@link #withAdditions}), such as the origins plugin console pages
 * declare; everything else stays as strict.
 */
public final class ContentSecurityPolicy {

    /** The header's name. */
    public static final String HEADER = "Content-Security-Policy";
    /** A source the header can carry without ending a directive or the header: no separators, quotes or spaces. */
    private static final Pattern SOURCE = Pattern.compile("[A-Za-z0-9.:/\\[\\]-]{1,300}");
    private static final Pattern DIRECTIVE = Pattern.compile("[a-z]+(-[a-z]+)*-src");
    private static final Map<String, List<String>> BASE = base();

    /** The policy every response carries unless its handler replaces it. */
    public static final String STRICT = withAdditions(Map.of());

    private ContentSecurityPolicy() {
    }

    /**
     * The strict policy with further sources for some fetch directives; a directive the strict policy leaves to
     * {@code default-src} starts from {@code 'self'}. Sources are listed sorted, so equal additions give equal headers.
     *
     * @param additions sources by fetch directive, such as {@code script-src} → {@code https://apis.google.com}
     * @return the header's value
     * @throws IllegalArgumentException for a directive that is not a fetch directive, or a source the header cannot
     *         carry as one source
     */
    public static String withAdditions(Map<String, ? extends Collection<String>> additions) {
        requireNonNull(additions, "additions is null");
        Map<String, List<String>> directives = new LinkedHashMap<>(BASE);
        additions.forEach((directive, sources) -> {
            if (!DIRECTIVE.matcher(directive).matches() || directive.equals("default-src")) {
                throw new IllegalArgumentException("not a fetch directive one may add sources to: " + directive);
            }
            if (sources.isEmpty()) {
                return;
            }
            List<String> merged = new ArrayList<>(directives.getOrDefault(directive, List.of("'self'")));
            for (String source : new TreeSet<>(sources)) {
                if (!SOURCE.matcher(source).matches()) {
                    throw new IllegalArgumentException("not a source the policy can carry: " + source);
                }
                if (!merged.contains(source)) {
                    merged.add(source);
                }
            }
            directives.put(directive, List.copyOf(merged));
        });
        List<String> parts = new ArrayList<>();
        directives.forEach((directive, sources) -> parts.add(directive + " " + String.join(" ", sources)));
        return String.join("; ", parts);
    }

    private static Map<String, List<String>> base() {
        Map<String, List<String>> base = new LinkedHashMap<>();
        base.put("default-src", List.of("'self'"));
        base.put("script-src", List.of("'self'"));
        base.put("style-src", List.of("'self'"));
        base.put("img-src", List.of("'self'", "data:"));
        base.put("connect-src", List.of("'self'"));
        base.put("object-src", List.of("'none'"));
        base.put("base-uri", List.of("'none'"));
        base.put("form-action", List.of("'self'"));
        base.put("frame-ancestors", List.of("'none'"));
        return Collections.unmodifiableMap(base);
    }
}
