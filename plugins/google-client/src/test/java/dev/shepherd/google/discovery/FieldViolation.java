package dev.shepherd.google.discovery;

import static java.util.Objects.requireNonNull;

/**
 * One thing about a request that Google's API would refuse, in the shape of {@code google.rpc.BadRequest.FieldViolation}.
 *
 * @param field       where: a path into the JSON body such as {@code deviceConnectivityManagement.usbDataAccess} or
 *                    {@code requests[0].policyValue}, a query parameter's name, or {@code (path)} for the request target
 * @param description why, in words a test failure can show
 */
public record FieldViolation(String field, String description) {

    public FieldViolation {
        requireNonNull(field, "field");
        requireNonNull(description, "description");
    }

    @Override
    public String toString() {
        return field + ": " + description;
    }
}
