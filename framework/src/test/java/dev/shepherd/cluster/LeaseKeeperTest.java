package dev.shepherd.cluster;

import dev.shepherd.storage.Transactions;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestKernel;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Leases in the store: one holder at a time, taken over after expiry, given up on close, dropped locally in time. */
class LeaseKeeperTest {

    private static final Duration TTL = Duration.ofSeconds(15);
    private static final Duration RENEWAL = Duration.ofSeconds(5);

    @TempDir
    Path home;
    private TestKernel test;
    private Transactions transactions;
    private final List<LeaseKeeper> keepers = new ArrayList<>();

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        transactions = test.kernel().transactions();
    }

    @AfterEach
    void close() {
        keepers.forEach(LeaseKeeper::close);
        test.close();
    }

    @Test
    void exactlyOneNodeHoldsALease() {
        LeaseKeeper first = keeper("node", Clock.systemUTC(), TTL, RENEWAL);
        LeaseKeeper second = keeper("node", Clock.systemUTC(), TTL, RENEWAL);

        assertThat(first.nodeId()).isNotEqualTo(second.nodeId()).startsWith("node-");
        assertThat(first.holds("kernel")).isTrue();
        assertThat(second.holds("kernel")).isFalse();
        second.renewAll();
        first.renewAll();
        assertThat(first.holds("kernel")).isTrue();
        assertThat(second.holds("kernel")).isFalse();
        assertThat(first.holds("plugin:android")).isTrue(); // leases are independent
        assertThat(new Leases(transactions, Clock.systemUTC()).all()).extracting(Leases.Lease::name, Leases.Lease::holder)
                .containsExactly(Tuple.tuple("kernel", first.nodeId()),
                        Tuple.tuple("plugin:android", first.nodeId()));
    }

    @Test
    void nodesRacingForAFreeLeaseGetItOnce() throws Exception {
        Leases leases = new Leases(transactions, Clock.systemUTC());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Boolean>> racers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String holder = "racer-" + i;
                racers.add(() -> leases.tryAcquire("contested", holder, TTL));
            }
            int winners = 0;
            for (Future<Boolean> result : pool.invokeAll(racers)) {
                winners += result.get() ? 1 : 0;
            }
            assertThat(winners).isEqualTo(1);
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void anotherNodeTakesAnExpiredLeaseOverAndTheOldHolderCannotRenewIt() {
        TestClock clock = new TestClock(Instant.parse("2026-06-01T10:00:00Z"));
        Leases leases = new Leases(transactions, clock);
        assertThat(leases.tryAcquire("kernel", "a", TTL)).isTrue();
        assertThat(leases.tryAcquire("kernel", "b", TTL)).isFalse();

        clock.advance(TTL.minusSeconds(1));
        assertThat(leases.tryAcquire("kernel", "a", TTL)).isTrue(); // renewed: runs 15 s from now
        clock.advance(TTL.minusSeconds(1));
        assertThat(leases.tryAcquire("kernel", "b", TTL)).isFalse();

        clock.advance(Duration.ofSeconds(2)); // a stopped renewing: expired
        assertThat(leases.tryAcquire("kernel", "b", TTL)).isTrue();
        assertThat(leases.tryAcquire("kernel", "a", TTL)).isFalse();
        assertThat(leases.all()).singleElement().satisfies(lease -> {
            assertThat(lease.holder()).isEqualTo("b");
            assertThat(lease.acquiredAt()).isEqualTo(clock.instant());
        });
    }

    @Test
    void aNodeThatCannotRenewStopsActingBeforeItsLeaseExpires() throws InterruptedException {
        Duration ttl = Duration.ofSeconds(3);
        Duration renewal = Duration.ofSeconds(1);
        LeaseKeeper keeper = keeper("node", Clock.systemUTC(), ttl, renewal);
        assertThat(keeper.holds("kernel")).isTrue();

        // No renewals from here on, as when the database is out of reach.
        while (keeper.holds("kernel")) {
            Thread.sleep(20);
        }
        Instant stoppedActing = Instant.now();

        Instant expires = new Leases(transactions, Clock.systemUTC()).all().get(0).expiresAt();
        assertThat(expires).isAfter(stoppedActing);
    }

    @Test
    void aStoppingNodeGivesItsLeasesUpSoAnotherTakesOverAtOnce() {
        LeaseKeeper first = keeper("one", Clock.systemUTC(), TTL, RENEWAL);
        LeaseKeeper second = keeper("two", Clock.systemUTC(), TTL, RENEWAL);
        assertThat(first.holds("kernel")).isTrue();
        assertThat(second.holds("kernel")).isFalse();
        first.renewAll();
        second.renewAll();
        assertThat(first.state().nodes()).extracting(ClusterNodes.Node::id).containsExactlyInAnyOrder(first.nodeId(), second.nodeId());

        first.close();
        second.renewAll();

        assertThat(second.holds("kernel")).isTrue();
        assertThat(second.state().nodes()).extracting(ClusterNodes.Node::id).containsExactly(second.nodeId());
        assertThat(second.nodesAlive()).isEqualTo(1);
        assertThat(ClusterResource.view(second.state(), Instant.now()).leader()).isEqualTo(second.nodeId());
    }

    @Test
    void eachPluginHasALeaseOfItsOwnAndNamedJobsOnesBesides() {
        LeaseKeeper first = keeper("one", Clock.systemUTC(), TTL, RENEWAL);
        LeaseKeeper second = keeper("two", Clock.systemUTC(), TTL, RENEWAL);
        PluginLeadership androidOnFirst = new PluginLeadership("android", first);
        PluginLeadership androidOnSecond = new PluginLeadership("android", second);
        PluginLeadership chromeOnSecond = new PluginLeadership("chromeos", second);

        assertThat(androidOnFirst.isLeader()).isTrue();
        assertThat(androidOnSecond.isLeader()).isFalse();
        assertThat(chromeOnSecond.isLeader()).isTrue();
        assertThat(androidOnSecond.isLeader("sweep")).isTrue();
        assertThat(androidOnFirst.isLeader("sweep")).isFalse();
        assertThat(new Leases(transactions, Clock.systemUTC()).all()).extracting(Leases.Lease::name)
                .containsExactly("plugin:android", "plugin:android/sweep", "plugin:chromeos");
        assertThatThrownBy(() -> androidOnFirst.isLeader("../kernel")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> androidOnFirst.isLeader("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aNodeWhosePluginFailedGivesThePluginsWorkUpAndTakesItBackWhenThePluginAsksAgain() {
        LeaseKeeper first = keeper("one", Clock.systemUTC(), TTL, RENEWAL);
        LeaseKeeper second = keeper("two", Clock.systemUTC(), TTL, RENEWAL);
        PluginLeadership androidOnFirst = new PluginLeadership("android", first);
        PluginLeadership androidOnSecond = new PluginLeadership("android", second);
        assertThat(androidOnFirst.isLeader()).isTrue();
        assertThat(androidOnFirst.isLeader("sweep")).isTrue();
        assertThat(first.holds("kernel")).isTrue();
        assertThat(androidOnSecond.isLeader()).isFalse();

        first.giveUp(PluginLeadership.lease("android"));
        first.renewAll();
        second.renewAll();

        assertThat(androidOnSecond.isLeader()).as("taken over without waiting for the lease to expire").isTrue();
        assertThat(androidOnSecond.isLeader("sweep")).isTrue();
        assertThat(first.holds("kernel")).as("the kernel's work and other plugins' stay where they are").isTrue();
        assertThat(new Leases(transactions, Clock.systemUTC()).all())
                .filteredOn(lease -> lease.name().startsWith("plugin:android"))
                .extracting(Leases.Lease::holder).containsOnly(second.nodeId());

        second.close();
        first.renewAll();
        assertThat(androidOnFirst.isLeader()).as("the plugin loaded anew on the first node asks again").isTrue();
    }

    @Test
    void renewalsMustComeWellWithinTheLeaseLifetime() {
        assertThatThrownBy(() -> new LeaseKeeper(new Leases(transactions, Clock.systemUTC()),
                new ClusterNodes(transactions, Clock.systemUTC()), "node", Duration.ofSeconds(10), Duration.ofSeconds(5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("third");
    }

    private LeaseKeeper keeper(String name, Clock clock, Duration ttl, Duration renewal) {
        LeaseKeeper keeper = new LeaseKeeper(new Leases(transactions, clock), new ClusterNodes(transactions, clock), name, ttl, renewal);
        keepers.add(keeper);
        return keeper;
    }
}
