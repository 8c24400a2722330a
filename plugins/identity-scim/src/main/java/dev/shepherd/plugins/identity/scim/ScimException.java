package dev.shepherd.plugins.identity.scim;

import static java.util.Objects.requireNonNull;

/**
 * A request the SCIM service refuses, answered as an RFC 7644 §3.12 error response with the HTTP status, the
 * {@code scimType} (for 400 and 409, the RFC's keywords) and a detail written for the client's operator.
 */
final class ScimException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String scimType;

    ScimException(int status, String scimType, String detail) {
        super(requireNonNull(detail, "detail is null"), null, false, false);
        this.status = status;
        this.scimType = scimType;
    }

    static ScimException invalidValue(String detail) {
        return new ScimException(400, "invalidValue", detail);
    }

    static ScimException invalidSyntax(String detail) {
        return new ScimException(400, "invalidSyntax", detail);
    }

    static ScimException invalidFilter(String detail) {
        return new ScimException(400, "invalidFilter", detail);
    }

    static ScimException invalidPath(String detail) {
        return new ScimException(400, "invalidPath", detail);
    }

    static ScimException noTarget(String detail) {
        return new ScimException(400, "noTarget", detail);
    }

    static ScimException mutability(String detail) {
        return new ScimException(400, "mutability", detail);
    }

    static ScimException uniqueness(String detail) {
        return new ScimException(409, "uniqueness", detail);
    }

    static ScimException notFound(String detail) {
        return new ScimException(404, null, detail);
    }

    int status() {
        return status;
    }

    /** @return the RFC 7644 error keyword, or null when the status says it all */
    String scimType() {
        return scimType;
    }

    String detail() {
        return getMessage();
    }
}
