package dev.shepherd.app;

import dev.shepherd.api.appstore.LicenceKind;

import java.time.Instant;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * An app assigned to a group.
 *
 * @param appId the app
 * @param groupId the group
 * @param intent what its devices get
 * @param configuration the managed configuration handed to the devices; as admins read it, its secret fields are left out
 * @param licenceSource where its devices' licences come from: one per device, or one per user covering all their devices
 * @param createdBy who assigned it
 * @param createdAt when it was first assigned
 * @param updatedAt when its intent, configuration or licence source last changed
 */
public record AppAssignment(String appId, String groupId, AppIntent intent, Map<String, Object> configuration,
                            LicenceKind licenceSource, String createdBy, Instant createdAt, Instant updatedAt) {
    public AppAssignment {
        requireNonNull(appId, "appId is null");
        requireNonNull(groupId, "groupId is null");
        requireNonNull(intent, "intent is null");
        configuration = Map.copyOf(requireNonNull(configuration, "configuration is null"));
        requireNonNull(licenceSource, "licenceSource is null");
        requireNonNull(createdBy, "createdBy is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(updatedAt, "updatedAt is null");
    }
}
