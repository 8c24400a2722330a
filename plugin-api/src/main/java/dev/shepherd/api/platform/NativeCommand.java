package dev.shepherd.api.platform;

import static java.util.Objects.requireNonNull;

/**
 * A kernel command in a platform's own form, such as an Apple command plist or a SyncML fragment.
 *
 * @param contentType media type of the content
 * @param content the native command
 */
public record NativeCommand(String contentType, byte[] content) {

    /** Validates and copies every part. */
    public NativeCommand {
        requireNonNull(contentType, "contentType is null");
        content = requireNonNull(content, "content is null").clone();
    }

    /**
     * The native command, copied.
     *
     * @return the content
     */
    @Override
    public byte[] content() {
        return content.clone();
    }
}
