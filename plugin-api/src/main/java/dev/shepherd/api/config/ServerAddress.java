package dev.shepherd.api.config;

/**
 * Where devices reach the server, for protocols whose answers hand devices URLs at request time (Windows discovery,
 * for example). Injectable into any extension. It is the operator's {@code https.publicUrl}, or else derived from
 * the HTTPS listener.
 */
public interface ServerAddress {

    /**
     * @return the externally reachable base URL, such as {@code https://mdm.example.com}, without a trailing slash
     */
    String publicUrl();
}
