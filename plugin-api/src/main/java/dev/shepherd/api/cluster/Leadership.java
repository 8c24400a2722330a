package dev.shepherd.api.cluster;

/**
 * Says whether this node is the one that does a plugin's once-per-cluster work. Several Shepherd nodes may serve one
 * database; each runs every plugin, so a periodic job (a sweep that lists devices from a vendor's cloud, a poll of
 * long-running operations) would otherwise run on every node and call the vendor once per node. Ask at the start of
 * each run and skip the run when the answer is no:
 *
 * <pre>{@code
 * private void sweep() {
 *     if (!leadership.isLeader()) {
 *         return; // another node sweeps
 *     }
 *     ...
 * }
 * }</pre>
 *
 * <p>Behind it is a lease in the database, one per plugin (and per job name, for the named form), held by one node
 * at a time and renewed in the background; when the holder stops or dies another node takes it over within the
 * lease's lifetime (15 s by default), and a node that cannot renew it answers no before that lifetime is over. A
 * single node always answers yes once it has taken the lease, which it does on the first question. Work a node does
 * because a request reached it (a device's wake-up, an admin's action) needs no leadership. Injectable into any
 * extension and the plugin class; each plugin gets its own.
 *
 * @since 0.6.0
 */
public interface Leadership {

    /**
     * @return whether this node holds the plugin's lease now, so its periodic work is this node's to do
     */
    boolean isLeader();

    /**
     * The same for one named job, for a plugin whose jobs may run on different nodes.
     *
     * @param job the job's name, unique within the plugin (letters, digits, {@code -}, {@code _}, {@code .}; at most
     *            64 characters)
     * @return whether this node holds the job's lease now
     * @throws IllegalArgumentException when the name is not allowed
     */
    boolean isLeader(String job);
}
