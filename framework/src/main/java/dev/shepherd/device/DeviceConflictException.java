package dev.shepherd.device;

/** A change was based on an outdated version of a device, or is not allowed in its current state. */
public final class DeviceConflictException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public DeviceConflictException(String message) {
        super(message);
    }
}
