package dev.shepherd.api.config;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * JDBC access to the plugin's own database schema, created and migrated from the plugin's
 * {@code shepherd/migration/V*__*.sql} files when the plugin loads. The connection's current schema is the
 * plugin's; the kernel's tables are not reachable through it by unqualified names.
 */
public interface PluginDatabase {

    /**
     * The name of the plugin's schema.
     *
     * @return the schema name
     */
    String schema();

    /**
     * Borrows a pooled connection whose current schema is the plugin's; close it to return it.
     *
     * @return the connection
     * @throws SQLException when none can be had
     */
    Connection connection() throws SQLException;
}
