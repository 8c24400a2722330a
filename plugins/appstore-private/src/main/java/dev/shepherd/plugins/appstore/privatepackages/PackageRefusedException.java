package dev.shepherd.plugins.appstore.privatepackages;

/** An uploaded package the plugin will not keep, with the HTTP status and the words the uploader gets. */
public final class PackageRefusedException extends Exception {

    private final int status;

    /**
     * @param status the 4xx status to answer with
     * @param message what is wrong, in words fit for the uploader
     */
    public PackageRefusedException(int status, String message) {
        super(message);
        if (status < 400 || status > 499) {
            throw new IllegalArgumentException("a refusal is a 4xx status: " + status);
        }
        this.status = status;
    }

    /** @return the 4xx status to answer with */
    public int status() {
        return status;
    }
}
