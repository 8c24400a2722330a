package dev.shepherd.group;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.storage.Tx;

import java.sql.SQLException;
import java.util.Set;

/** Told, inside the transaction that changed them, which devices joined or left some group. */
@FunctionalInterface
public interface MembershipListener {
    void membershipChanged(Tx tx, Set<DeviceId> devices) throws SQLException;
}
