package dev.shepherd.device;

import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * The fleet at a glance, for dashboards: how many devices per platform, status and compliance state, and how many
 * commands are still waiting for their device.
 */
public record FleetSummary(Map<String, Long> devicesByPlatform, Map<String, Long> devicesByStatus, Map<String, Long> devicesByCompliance,
                           long pendingCommands) {
    public FleetSummary {
        devicesByPlatform = Map.copyOf(requireNonNull(devicesByPlatform, "devicesByPlatform is null"));
        devicesByStatus = Map.copyOf(requireNonNull(devicesByStatus, "devicesByStatus is null"));
        devicesByCompliance = Map.copyOf(requireNonNull(devicesByCompliance, "devicesByCompliance is null"));
    }
}
