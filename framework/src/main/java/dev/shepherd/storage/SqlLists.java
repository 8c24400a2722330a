package dev.shepherd.storage;

import java.util.Collections;

/**
 * Bind-parameter lists for SQL {@code IN (…)} and {@code VALUES (…)} clauses. Values always go through
 * {@code ?} parameters, never into the statement text; this only builds the list of markers.
 */
public final class SqlLists {

    private SqlLists() {
    }

    /**
     * @param count how many parameters, at least one
     * @return {@code ?, ?, …} with {@code count} markers
     * @throws IllegalArgumentException when {@code count} is below one: {@code IN ()} is not SQL
     */
    public static String placeholders(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("a parameter list needs at least one parameter, not " + count);
        }
        return String.join(", ", Collections.nCopies(count, "?"));
    }
}
