package dev.shepherd.device;

import dev.shepherd.storage.Tx;

import java.sql.SQLException;
import java.util.Optional;

/**
 * Told, inside the transaction that changed a device, what it was and what it became, so derived state (smart
 * group membership, effective policy) is kept or lost together with the change.
 */
@FunctionalInterface
public interface DeviceChangeListener {

    /**
     * @param tx the transaction of the change
     * @param before the device before, empty when it was just created
     * @param after the device after
     */
    void changed(Tx tx, Optional<DeviceRecord> before, DeviceRecord after) throws SQLException;
}
