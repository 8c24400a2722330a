package dev.shepherd.api.platform;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What a user needs to enroll a device.
 *
 * @param fileName suggested file name for a download, such as {@code enroll.mobileconfig}
 * @param contentType media type of the content
 * @param content the downloadable artifact, possibly empty when the link is enough
 * @param link a URL the device opens to enroll, also suitable for a QR code
 */
public record EnrollmentArtifact(String fileName, String contentType, byte[] content, Optional<String> link) {

    /** Validates and copies every part. */
    public EnrollmentArtifact {
        requireNonNull(fileName, "fileName is null");
        requireNonNull(contentType, "contentType is null");
        content = requireNonNull(content, "content is null").clone();
        requireNonNull(link, "link is null");
    }

    /**
     * The artifact, copied.
     *
     * @return the content
     */
    @Override
    public byte[] content() {
        return content.clone();
    }
}
