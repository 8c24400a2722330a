package dev.shepherd.command;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.device.DeviceFilter;

import java.util.List;

import static java.util.Objects.requireNonNull;

/** Which devices a fan-out is for: those matching a query now, or a list. */
public sealed interface CommandTargets {

    /** @param filter the devices matching this now */
    record Matching(DeviceFilter filter) implements CommandTargets {
        public Matching {
            requireNonNull(filter, "filter is null");
        }
    }

    /** @param devices exactly these devices */
    record Listed(List<DeviceId> devices) implements CommandTargets {
        public Listed {
            devices = List.copyOf(devices);
        }
    }
}
