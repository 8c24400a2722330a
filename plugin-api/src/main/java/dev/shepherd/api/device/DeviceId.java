package dev.shepherd.api.device;

import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * The kernel's identifier of a device, stable for the device's whole managed life.
 *
 * @param value the identifier
 */
public record DeviceId(UUID value) {

    /** Rejects null. */
    public DeviceId {
        requireNonNull(value, "value is null");
    }

    /**
     * Parses the textual form.
     *
     * @param text a UUID in its canonical form
     * @return the identifier
     * @throws IllegalArgumentException when the text is not a UUID
     */
    public static DeviceId parse(String text) {
        return new DeviceId(UUID.fromString(requireNonNull(text, "text is null")));
    }

    /**
     * A new random identifier.
     *
     * @return the identifier
     */
    public static DeviceId random() {
        return new DeviceId(UUID.randomUUID());
    }

    @Override
    public String toString() {
        return value.toString();
    }
}
