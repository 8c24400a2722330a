package dev.shepherd.cluster;

import dev.shepherd.api.cluster.Leadership;

import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/** A plugin's {@link Leadership}: the lease {@code plugin:<id>}, or {@code plugin:<id>/<job>} for a named job. */
public final class PluginLeadership implements Leadership {

    private static final Pattern JOB = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final String lease;
    private final LeaseKeeper keeper;

    public PluginLeadership(String pluginId, LeaseKeeper keeper) {
        this.lease = lease(pluginId);
        this.keeper = requireNonNull(keeper, "keeper is null");
    }

    /** The lease of a plugin's once-per-cluster work; its named jobs' leases are {@code <lease>/<job>}. */
    public static String lease(String pluginId) {
        return "plugin:" + requireNonNull(pluginId, "pluginId is null");
    }

    @Override
    public boolean isLeader() {
        return keeper.holds(lease);
    }

    @Override
    public boolean isLeader(String job) {
        requireNonNull(job, "job is null");
        if (!JOB.matcher(job).matches()) {
            throw new IllegalArgumentException("a job's name is 1 to 64 letters, digits, '-', '_' or '.': " + job);
        }
        return keeper.holds(lease + "/" + job);
    }
}
