package dev.shepherd.plugins.windows.csp;

/** A setting, or a value of it, that Windows cannot express; the message says why and becomes the setting's reason. */
public final class UnsupportedSettingException extends RuntimeException {

    public UnsupportedSettingException(String message) {
        super(message);
    }
}
