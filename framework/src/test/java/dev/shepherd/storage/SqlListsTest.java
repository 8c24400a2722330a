package dev.shepherd.storage;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SqlListsTest {

    @Test
    void aListOfParametersHasOneMarkerPerValueSeparatedByCommas() {
        assertEquals("?", SqlLists.placeholders(1));
        assertEquals("?, ?, ?", SqlLists.placeholders(3));
    }

    @Test
    void anEmptyListIsRefusedBecauseInWithNothingInItIsNotSql() {
        assertThrows(IllegalArgumentException.class, () -> SqlLists.placeholders(0));
    }
}
