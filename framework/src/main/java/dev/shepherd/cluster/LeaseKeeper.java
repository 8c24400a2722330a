package dev.shepherd.cluster;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static java.util.Objects.requireNonNull;

/**
 * This node's side of the cluster: its identity, its heartbeat, and the leases it wants, taken and renewed every
 * {@code renewEvery} for {@code ttl}. A lease counts as held here only until {@code ttl - renewEvery} after the start of
 * its last successful renewal, measured on this node's monotonic clock: a node that cannot renew (the database
 * unreachable, a long pause) stops doing the lease's work at least {@code renewEvery} before another node may take the
 * lease over, which also absorbs that much clock difference between the nodes.
 */
public final class LeaseKeeper implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);
    /** The lease of the kernel's maintenance jobs. */
    public static final String KERNEL = "kernel";
    /** A node that has not beaten its heart for this many lease lifetimes is taken for dead and forgotten. */
    private static final int DEAD_AFTER_TTLS = 20;

    private final Leases leases;
    private final ClusterNodes nodes;
    private final String nodeId;
    private final String nodeName;
    private final Duration ttl;
    private final Duration renewEvery;
    private final Set<String> wanted = ConcurrentHashMap.newKeySet();
    /** Per lease held: until when (in {@link System#nanoTime()}) this node may act on it. */
    private final Map<String, Long> heldUntil = new ConcurrentHashMap<>();
    private volatile int nodesAlive = 1;

    /**
     * @param nodeName the configured {@code node.name}; the node's id adds a random suffix, unique to this process
     * @param ttl how long a lease lasts unless renewed
     * @param renewEvery how often leases are renewed; at most a third of {@code ttl}
     */
    public LeaseKeeper(Leases leases, ClusterNodes nodes, String nodeName, Duration ttl, Duration renewEvery) {
        this.leases = requireNonNull(leases, "leases is null");
        this.nodes = requireNonNull(nodes, "nodes is null");
        this.nodeName = requireNonNull(nodeName, "nodeName is null");
        this.ttl = requireNonNull(ttl, "ttl is null");
        this.renewEvery = requireNonNull(renewEvery, "renewEvery is null");
        if (renewEvery.isNegative() || renewEvery.isZero() || renewEvery.multipliedBy(3).compareTo(ttl) > 0) {
            throw new IllegalArgumentException("leases are renewed at most every third of their lifetime: "
                    + renewEvery + " is too long for " + ttl);
        }
        byte[] suffix = new byte[4];
        new SecureRandom().nextBytes(suffix);
        this.nodeId = nodeName + "-" + HexFormat.of().formatHex(suffix);
    }

    /** @return this node's id, unique to this process */
    public String nodeId() {
        return nodeId;
    }

    /** @return the configured name of this node */
    public String nodeName() {
        return nodeName;
    }

    /** @return how often {@link #renewAll()} is to be called */
    public Duration renewEvery() {
        return renewEvery;
    }

    /**
     * Whether this node holds a lease now. The first question about a lease takes it at once if it is free; from then on
     * it is renewed (or, while another node holds it, tried) in the background.
     */
    public boolean holds(String lease) {
        requireNonNull(lease, "lease is null");
        if (wanted.add(lease)) {
            renew(lease);
        }
        Long until = heldUntil.get(lease);
        return until != null && System.nanoTime() - until < 0;
    }

    /** Beats this node's heart and takes or renews every lease it wants. Called every {@code renewEvery}. */
    public void renewAll() {
        try {
            nodes.heartbeat(nodeId, nodeName);
            nodesAlive = nodes.seenWithin(ttl).size();
        } catch (RuntimeException e) {
            log.warn("Cannot record this node's heartbeat: {}", e.getMessage());
        }
        for (String lease : wanted) {
            renew(lease);
        }
    }

    private void renew(String lease) {
        long start = System.nanoTime();
        boolean held;
        try {
            held = leases.tryAcquire(lease, nodeId, ttl);
        } catch (RuntimeException e) {
            // Keep what we had: it runs out locally before the lease can pass to another node.
            log.warn("Cannot renew the lease {}: {}", lease, e.getMessage());
            return;
        }
        if (held) {
            if (heldUntil.put(lease, start + ttl.minus(renewEvery).toNanos()) == null) {
                log.info("This node ({}) now does the work of {}", nodeId, lease);
            }
        } else if (heldUntil.remove(lease) != null) {
            log.info("Another node took over the work of {}", lease);
        }
    }

    /**
     * Gives up a lease and its jobs' leases ({@code lease/<job>}) on this node and stops renewing them, so another node
     * can take the work over at once: the plugin that did it here has failed or been unloaded. Asking {@link #holds}
     * again (the plugin loaded anew) wants them again.
     */
    public void giveUp(String lease) {
        requireNonNull(lease, "lease is null");
        List<String> ours = wanted.stream().filter(name -> name.equals(lease) || name.startsWith(lease + "/")).toList();
        for (String name : ours) {
            wanted.remove(name);
            if (heldUntil.remove(name) != null) {
                try {
                    leases.release(name, nodeId);
                    log.info("This node ({}) gave up the work of {}", nodeId, name);
                } catch (RuntimeException e) {
                    log.warn("Cannot give up the lease {}; it expires in {} s: {}", name, ttl.toSeconds(), e.getMessage());
                }
            }
        }
    }

    /** @return the number of nodes that beat their heart within the last lease lifetime, this one included */
    public int nodesAlive() {
        return nodesAlive;
    }

    /** @return the nodes alive, and every lease with its holder */
    public ClusterState state() {
        return new ClusterState(nodeId, nodeName, nodes.seenWithin(ttl), leases.all());
    }

    /** Removes the records of nodes dead for long; the kernel leader does it with its maintenance. */
    public void forgetDeadNodes() {
        nodes.forget("", ttl.multipliedBy(DEAD_AFTER_TTLS));
    }

    /** Stops acting on every lease and gives them up, so another node takes over without waiting for them to expire. */
    @Override
    public void close() {
        List<String> held = List.copyOf(heldUntil.keySet());
        heldUntil.clear();
        wanted.clear();
        for (String lease : held) {
            try {
                leases.release(lease, nodeId);
            } catch (RuntimeException e) {
                log.warn("Cannot give up the lease {}; it expires in {} s: {}", lease, ttl.toSeconds(), e.getMessage());
            }
        }
        try {
            nodes.forget(nodeId, ttl.multipliedBy(DEAD_AFTER_TTLS));
        } catch (RuntimeException e) {
            log.warn("Cannot remove this node from the cluster's nodes: {}", e.getMessage());
        }
    }

    /**
     * The cluster as this node sees it.
     *
     * @param node this node's id
     * @param nodeName this node's configured name
     * @param nodes the nodes alive
     * @param leases every lease and its holder
     */
    public record ClusterState(String node, String nodeName, List<ClusterNodes.Node> nodes, List<Leases.Lease> leases) {
        public ClusterState {
            requireNonNull(node, "node is null");
            requireNonNull(nodeName, "nodeName is null");
            nodes = List.copyOf(nodes);
            leases = List.copyOf(leases);
        }
    }
}
