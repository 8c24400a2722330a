package dev.shepherd.compliance;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.storage.Tx;

import java.sql.SQLException;
import java.time.Instant;

/**
 * Where compliance reads a device's threat state: the threat package answers through this port, so compliance does
 * not depend on it (the threat package queues devices for evaluation, so it depends on compliance).
 */
@FunctionalInterface
public interface DeviceThreats {

    /** No threat state at all, as in a kernel without threat defense. */
    DeviceThreats NONE = (tx, device, now) -> ThreatStanding.NONE;

    /**
     * @param now the time freshness is judged at
     * @return the device's threat standing, inside the evaluating transaction
     */
    ThreatStanding standing(Tx tx, DeviceId device, Instant now) throws SQLException;
}
