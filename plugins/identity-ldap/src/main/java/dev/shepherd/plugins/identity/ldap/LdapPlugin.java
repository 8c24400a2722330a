package dev.shepherd.plugins.identity.ldap;

import jakarta.inject.Inject;
import org.pf4j.Plugin;

import static java.util.Objects.requireNonNull;

/**
 * The lifecycle of the LDAP plugin: stopping it (on removal or upgrade) stops its sync thread and closes its
 * connections, so the old generation neither syncs nor holds connections beside the new one.
 */
public final class LdapPlugin extends Plugin {

    private final SyncWorker worker;
    private final LdapConnections connections;

    @Inject
    public LdapPlugin(SyncWorker worker, LdapConnections connections) {
        this.worker = requireNonNull(worker, "worker is null");
        this.connections = requireNonNull(connections, "connections is null");
    }

    @Override
    public void stop() {
        worker.close();
        connections.close();
    }
}
