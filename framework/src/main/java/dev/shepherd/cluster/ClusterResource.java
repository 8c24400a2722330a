package dev.shepherd.cluster;

import dev.shepherd.http.AdminRoute;
import dev.shepherd.security.Permission;

import java.time.Instant;
import java.util.List;

import static java.util.Objects.requireNonNull;

/** {@code GET /api/v1/cluster}: the nodes sharing the database, and which node holds each lease (the kernel's leads). */
public final class ClusterResource {

    /**
     * The cluster as the answering node sees it.
     *
     * @param node the answering node's id
     * @param nodeName its configured name
     * @param leader the node running the kernel's maintenance jobs, empty while none holds the lease
     * @param nodes the nodes alive
     * @param leases every lease and its holder
     */
    public record ClusterView(String node, String nodeName, String leader, List<ClusterNodes.Node> nodes, List<LeaseView> leases) {
    }

    /**
     * @param name the lease, {@code kernel} or {@code plugin:<id>}
     * @param holder the node holding it
     * @param expiresAt when it runs out unless renewed
     * @param live whether it has not run out yet
     */
    public record LeaseView(String name, String holder, Instant expiresAt, boolean live) {
    }

    private ClusterResource() {
    }

    /** @return the route; it needs the {@code metrics_read} permission, as the other operations views do */
    public static AdminRoute route(LeaseKeeper keeper) {
        requireNonNull(keeper, "keeper is null");
        return AdminRoute.get("/api/v1/cluster", Permission.METRICS_READ).tag("operations")
                .summary("The nodes sharing the database and which node holds each lease; the holder of 'kernel' runs the maintenance jobs")
                .returns(ClusterView.class)
                .handle(request -> view(keeper.state(), Instant.now()));
    }

    static ClusterView view(LeaseKeeper.ClusterState state, Instant now) {
        List<LeaseView> leases = state.leases().stream()
                .map(lease -> new LeaseView(lease.name(), lease.holder(), lease.expiresAt(), lease.expiresAt().isAfter(now)))
                .toList();
        String leader = leases.stream().filter(lease -> lease.name().equals(LeaseKeeper.KERNEL) && lease.live())
                .map(LeaseView::holder).findFirst().orElse("");
        return new ClusterView(state.node(), state.nodeName(), leader, state.nodes(), leases);
    }
}
