package dev.shepherd.apple;

/** A property list from a device is unreadable or not what the protocol expects. */
public final class PlistException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public PlistException(String message) {
        super(message);
    }
}
