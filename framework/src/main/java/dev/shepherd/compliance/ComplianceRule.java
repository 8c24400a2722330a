package dev.shepherd.compliance;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A compliance rule.
 *
 * @param id identifier
 * @param name unique name
 * @param check what it checks
 * @param parameters the check's parameters, such as {@code {"version":"17.4"}}
 * @param groupId the group it applies to; empty for every device
 * @param graceHours how long a device may fail it before it counts as non-compliant
 * @param remediation what is done after the grace period, in order
 * @param enabled whether it is evaluated
 * @param version increases with every change
 * @param updatedAt when it last changed
 */
public record ComplianceRule(String id, String name, ComplianceCheck check, JsonNode parameters, Optional<String> groupId,
                             int graceHours, List<RemediationStep> remediation, boolean enabled, long version, Instant updatedAt) {
    public ComplianceRule {
        requireNonNull(id, "id is null");
        requireNonNull(name, "name is null");
        requireNonNull(check, "check is null");
        requireNonNull(parameters, "parameters is null");
        requireNonNull(groupId, "groupId is null");
        remediation = List.copyOf(remediation);
        requireNonNull(updatedAt, "updatedAt is null");
    }
}
