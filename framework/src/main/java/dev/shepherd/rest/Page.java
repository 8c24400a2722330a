package dev.shepherd.rest;

import java.util.List;
import java.util.Optional;

/**
 * A page of a listing: the items and the cursor for the next page, absent on the last.
 *
 * @param items the items
 * @param nextCursor pass it as {@code cursor} for the next page
 */
record Page<T>(List<T> items, Optional<String> nextCursor) {
    Page {
        items = List.copyOf(items);
    }
}
