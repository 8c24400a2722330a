package dev.shepherd.api.command;

/**
 * Where a command is on its way to a device.
 * {@code QUEUED → SENT → ACKNOWLEDGED | FAILED | NOT_NOW}, with {@code NOT_NOW} going back to the queue,
 * and {@code EXPIRED} or {@code CANCELLED} ending a command that never completed.
 */
public enum CommandState {
    /** Waiting for the device to ask for work. */
    QUEUED,
    /** Handed to the device, no answer yet. */
    SENT,
    /** The device carried it out. */
    ACKNOWLEDGED,
    /** The device refused it or it failed. */
    FAILED,
    /** The device cannot do it now; it will be offered again. */
    NOT_NOW,
    /** Its expiry passed before the device carried it out. */
    EXPIRED,
    /** An admin withdrew it. */
    CANCELLED;

    /**
     * Whether the command has reached an end and will not change again.
     *
     * @return true for acknowledged, failed, expired and cancelled
     */
    public boolean isFinal() {
        return this == ACKNOWLEDGED || this == FAILED || this == EXPIRED || this == CANCELLED;
    }
}
