package dev.shepherd.plugins.windows.entra;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What a validated Entra access token says about who is enrolling.
 *
 * @param tenantId the tenant ({@code tid})
 * @param objectId the user's object id in the tenant ({@code oid})
 * @param userPrincipalName the user's sign-in name ({@code upn} in v1 tokens, {@code preferred_username} in v2)
 * @param displayName the user's name ({@code name}), the UPN when the token has none
 * @param deviceId the Entra device id ({@code deviceid}), present in the token an Entra-joined device enrolls with and
 *                 absent from the one it opens the terms of use with
 */
public record EntraToken(String tenantId, String objectId, String userPrincipalName, String displayName, Optional<String> deviceId) {

    /** Checks every part is present. */
    public EntraToken {
        requireNonNull(tenantId, "tenantId is null");
        requireNonNull(objectId, "objectId is null");
        requireNonNull(userPrincipalName, "userPrincipalName is null");
        requireNonNull(displayName, "displayName is null");
        requireNonNull(deviceId, "deviceId is null");
    }
}
