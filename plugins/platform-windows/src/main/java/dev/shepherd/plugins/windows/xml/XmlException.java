package dev.shepherd.plugins.windows.xml;

/** XML a device sent that cannot be read; the message says why and is fit to send back. */
public final class XmlException extends RuntimeException {

    public XmlException(String message) {
        super(message);
    }
}
