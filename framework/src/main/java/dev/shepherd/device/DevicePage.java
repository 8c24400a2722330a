package dev.shepherd.device;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One page of a device listing.
 *
 * @param items the devices
 * @param nextCursor pass it back for the next page; empty on the last page
 */
public record DevicePage(List<DeviceRecord> items, Optional<String> nextCursor) {
    public DevicePage {
        items = List.copyOf(items);
        requireNonNull(nextCursor, "nextCursor is null");
    }
}
