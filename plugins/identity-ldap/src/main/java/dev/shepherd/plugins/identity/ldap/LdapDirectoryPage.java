package dev.shepherd.plugins.identity.ldap;

import dev.shepherd.api.console.ConsolePage;
import org.pf4j.Extension;

/**
 * The console page for the directory ({@code console/ldap-directory.js} in this plugin), at
 * {@code #/plugins/identity-ldap/directory}: the connection as configured, the last sync and its failure, "Sync now",
 * and, for admins who hold {@code plugin_manage}, the service account's password.
 */
@Extension
public final class LdapDirectoryPage implements ConsolePage {

    @Override
    public String id() {
        return "directory";
    }

    @Override
    public String title() {
        return "LDAP directory";
    }

    @Override
    public String permission() {
        // The permission of the sync endpoint the page reads; the password form shows only with plugin_manage.
        return "user_write";
    }

    @Override
    public String module() {
        return "ldap-directory.js";
    }

    @Override
    public String description() {
        return "See the directory connection and the last sync, sync now, and set the service account's password.";
    }
}
