package dev.shepherd.api.policy;

import static java.util.Objects.requireNonNull;

/**
 * A setting compiled into a platform's own form, such as an Apple configuration profile.
 *
 * @param settingKey the {@link Setting#key()} it was compiled from
 * @param identifier the platform's identifier of the payload, used to remove it later
 * @param contentType media type of the content
 * @param content the payload
 */
public record NativePayload(String settingKey, String identifier, String contentType, byte[] content) {

    /** Validates and copies every part. */
    public NativePayload {
        requireNonNull(settingKey, "settingKey is null");
        requireNonNull(identifier, "identifier is null");
        requireNonNull(contentType, "contentType is null");
        content = requireNonNull(content, "content is null").clone();
    }

    /**
     * The payload, copied.
     *
     * @return the content
     */
    @Override
    public byte[] content() {
        return content.clone();
    }
}
