package dev.shepherd.device;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * A keyset position in a listing: the sort it belongs to, the last item's sort value and its id. Opaque to
 * clients; anything that does not decode into one is refused, never half-used.
 */
record Cursor(DeviceSort sort, String sortValue, String id) {

    Cursor {
        requireNonNull(sort, "sort is null");
        requireNonNull(sortValue, "sortValue is null");
        requireNonNull(id, "id is null");
    }

    String encode() {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((sort.name() + "\n" + sortValue + "\n" + id).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @throws IllegalArgumentException when the text is not a cursor of this sort
     */
    static Cursor decode(String text, DeviceSort expectedSort) {
        String decoded;
        try {
            decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the cursor is not valid");
        }
        String[] parts = decoded.split("\n", -1);
        if (parts.length != 3 || !parts[0].equals(expectedSort.name())) {
            throw new IllegalArgumentException("the cursor is not valid for this listing");
        }
        try {
            UUID.fromString(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the cursor is not valid");
        }
        return new Cursor(expectedSort, parts[1], parts[2]);
    }
}
