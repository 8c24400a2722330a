package dev.shepherd.api.console;

import static java.util.Objects.requireNonNull;

/**
 * An origin outside the Shepherd server that a {@link ConsolePage} needs the browser to load something from, such as a
 * vendor's embedding script or the page a vendor shows in a frame. The console's Content-Security-Policy admits
 * nothing from elsewhere; the kernel adds each origin the pages of the running plugins declare, for its kind only, and
 * shows the operator on the plugins page which plugin added which.
 *
 * <p>The kernel accepts only {@code https} origins written as scheme, host and optional port, such as
 * {@code https://apis.google.com} or {@code https://play.google.com:8443}: no path (not even {@code /}), query,
 * fragment, user info or wildcard. A page declaring anything else is not listed, and the kernel's log says which
 * origin broke which rule. Plain {@code http} is refused even for loopback addresses, so a page never loads code or
 * frames over a network in the clear and no test switch can be left on in production; point a test at a local
 * {@code https} stand-in instead.
 *
 * @param kind what the page loads from the origin
 * @param origin the origin, such as {@code https://apis.google.com}
 * @since 0.10.0
 */
public record ExternalOrigin(Kind kind, String origin) {

    /**
     * What a page loads from an origin; each kind is one directive of the Content-Security-Policy.
     *
     * @since 0.10.0
     */
    public enum Kind {
        /** Scripts ({@code script-src}), such as a vendor's embedding library. */
        SCRIPT,
        /** Documents shown in frames of the page ({@code frame-src}), such as a vendor's embedded console. */
        FRAME,
        /** Requests the page's scripts send with {@code fetch} or {@code XMLHttpRequest} ({@code connect-src}). */
        CONNECT,
        /** Images ({@code img-src}). */
        IMAGE
    }

    /**
     * @param kind what the page loads from the origin
     * @param origin the origin, such as {@code https://apis.google.com}
     */
    public ExternalOrigin {
        requireNonNull(kind, "kind is null");
        requireNonNull(origin, "origin is null");
    }

    /**
     * @param origin the origin scripts are loaded from
     * @return the origin for {@code script-src}
     */
    public static ExternalOrigin script(String origin) {
        return new ExternalOrigin(Kind.SCRIPT, origin);
    }

    /**
     * @param origin the origin of documents shown in frames
     * @return the origin for {@code frame-src}
     */
    public static ExternalOrigin frame(String origin) {
        return new ExternalOrigin(Kind.FRAME, origin);
    }

    /**
     * @param origin the origin the page's scripts send requests to
     * @return the origin for {@code connect-src}
     */
    public static ExternalOrigin connect(String origin) {
        return new ExternalOrigin(Kind.CONNECT, origin);
    }

    /**
     * @param origin the origin images are loaded from
     * @return the origin for {@code img-src}
     */
    public static ExternalOrigin image(String origin) {
        return new ExternalOrigin(Kind.IMAGE, origin);
    }
}
