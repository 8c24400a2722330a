package dev.shepherd.storage;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** The durable device work queue in real Derby, as the compliance and policy workers use it. */
class DeviceWorkQueueTest {

    @TempDir
    Path home;
    private TestKernel kernel;
    private Transactions transactions;
    private DeviceWorkQueue queue;
    private DeviceId device;

    @BeforeEach
    void open() {
        kernel = TestKernel.open(home);
        transactions = kernel.kernel().transactions();
        queue = new DeviceWorkQueue("compliance_queue", transactions, Clock.systemUTC());
        device = kernel.enroll(Platform.IOS, "U-QUEUE", Ownership.CORPORATE).device().id();
        // Enrolling queued it for compliance; start from an empty queue.
        drain(id -> transactions.inTransaction("work", tx -> {
            queue.dequeue(tx, id);
            return null;
        }));
    }

    @AfterEach
    void close() {
        kernel.close();
    }

    @Test
    void queuingADeviceNeverWaitsForItsWorkInProgress() {
        transactions.inTransaction("queue", tx -> {
            queue.enqueue(tx, device);
            return null;
        });
        List<Boolean> queuedMeanwhile = new ArrayList<>();
        drain(id -> transactions.inTransaction("work", tx -> {
            // While the worker's transaction is open, a change on another thread queues the device again.
            CompletableFuture<Void> change = CompletableFuture.runAsync(() -> transactions.inTransaction("change", other -> {
                queue.enqueue(other, id);
                return null;
            }));
            queuedMeanwhile.add(change.orTimeout(20, TimeUnit.SECONDS).handle((done, failure) -> failure == null).join());
            queue.dequeue(tx, id);
            return null;
        }));
        assertThat(queuedMeanwhile).containsExactly(true);
    }

    @Test
    void aDeviceQueuedAgainDuringItsWorkIsWorkedOnAgain() {
        transactions.inTransaction("queue", tx -> {
            queue.enqueue(tx, device);
            return null;
        });
        List<DeviceId> worked = new ArrayList<>();
        drain(id -> transactions.inTransaction("work", tx -> {
            worked.add(id);
            if (worked.size() == 1) {
                CompletableFuture.runAsync(() -> transactions.inTransaction("change", other -> {
                    queue.enqueue(other, id);
                    return null;
                })).join();
            }
            queue.dequeue(tx, id);
            return null;
        }));
        assertThat(worked).as("the first drain leaves the re-queued device for the next").containsExactly(device);

        drain(id -> transactions.inTransaction("work", tx -> {
            worked.add(id);
            queue.dequeue(tx, id);
            return null;
        }));
        assertThat(worked).containsExactly(device, device);
        assertThat(drain(id -> worked.add(id))).as("and then it is done").isZero();
    }

    @Test
    void severalDevicesShareATransactionAndOneQueuedAgainDuringItIsWorkedOnAgain() {
        DeviceId other = kernel.enroll(Platform.IOS, "U-OTHER", Ownership.CORPORATE).device().id();
        DeviceId third = kernel.enroll(Platform.IOS, "U-THIRD", Ownership.CORPORATE).device().id();
        queueAll(device, other, third);
        List<List<DeviceId>> transactionsSeen = new ArrayList<>();

        int done = queue.drain("work", 2, (tx, devices) -> {
            transactionsSeen.add(devices);
            if (transactionsSeen.size() == 1) {
                // Another change queues the first device again while its work is in progress.
                CompletableFuture.runAsync(() -> transactions.inTransaction("change", change -> {
                    queue.enqueue(change, devices.get(0));
                    return null;
                })).orTimeout(20, TimeUnit.SECONDS).join();
            }
        });

        assertThat(done).isEqualTo(3);
        assertThat(transactionsSeen).extracting(List::size).containsExactly(2, 1);
        assertThat(transactionsSeen.stream().flatMap(List::stream)).containsExactlyInAnyOrder(device, other, third);
        assertThat(queue.drain("work", 2, (tx, devices) -> transactionsSeen.add(devices))).as("queued again: worked on again").isEqualTo(1);
        assertThat(transactionsSeen.get(2)).containsExactly(transactionsSeen.get(0).get(0));
        assertThat(queue.drain("work", 2, (tx, devices) -> transactionsSeen.add(devices))).as("and then it is done").isZero();
    }

    @Test
    void aFailingTransactionIsRedoneOneDeviceEachAndADeviceThatKeepsFailingIsLeftQueuedWithoutBlockingTheOthers() {
        DeviceId broken = kernel.enroll(Platform.IOS, "U-BROKEN", Ownership.CORPORATE).device().id();
        DeviceId other = kernel.enroll(Platform.IOS, "U-OTHER", Ownership.CORPORATE).device().id();
        queueAll(device, broken, other);
        List<DeviceId> committed = new ArrayList<>();
        DeviceWorkQueue.BatchWorker worker = (tx, devices) -> {
            if (devices.contains(broken)) {
                throw new IllegalStateException("cannot work on " + broken);
            }
            tx.afterCommit(() -> committed.addAll(devices));
        };

        assertThat(queue.drain("work", 10, worker)).isEqualTo(2);
        assertThat(committed).containsExactlyInAnyOrder(device, other);
        assertThat(queue.drain("work", 10, worker)).as("each drain tries it once more").isZero();
        assertThat(queue.drain(id -> committed.add(id))).as("it is still queued").isEqualTo(1);
        assertThat(committed).endsWith(broken);
    }

    @Test
    void aDrainWithATimeSliceStopsOnceItHasPassedAndLeavesTheRestQueuedForTheNext() {
        DeviceId other = kernel.enroll(Platform.IOS, "U-OTHER", Ownership.CORPORATE).device().id();
        DeviceId third = kernel.enroll(Platform.IOS, "U-THIRD", Ownership.CORPORATE).device().id();
        queueAll(device, other, third);
        List<DeviceId> worked = new ArrayList<>();
        Consumer<DeviceId> work = id -> transactions.inTransaction("work", tx -> {
            worked.add(id);
            queue.dequeue(tx, id);
            return null;
        });

        assertThat(queue.drain(work, Duration.ZERO)).as("a slice already over still works on one device").isEqualTo(1);
        assertThat(queue.drain(work, Duration.ZERO)).isEqualTo(1);
        assertThat(queue.drain(work, DeviceWorkQueue.UNTIL_EMPTY)).as("the rest waited for the next drain").isEqualTo(1);
        assertThat(worked).containsExactlyInAnyOrder(device, other, third);
        assertThat(queue.drain(work, Duration.ZERO)).as("and then it is done").isZero();
    }

    @Test
    void aBatchDrainWithATimeSliceStopsBetweenTransactions() {
        List<DeviceId> queued = new ArrayList<>(List.of(device));
        for (int i = 0; i < 4; i++) {
            queued.add(kernel.enroll(Platform.IOS, "U-SLICE-" + i, Ownership.CORPORATE).device().id());
        }
        queueAll(queued.toArray(DeviceId[]::new));
        List<List<DeviceId>> transactionsSeen = new ArrayList<>();
        DeviceWorkQueue.BatchWorker worker = (tx, devices) -> transactionsSeen.add(devices);

        assertThat(queue.drain("work", 2, worker, Duration.ZERO)).isEqualTo(2);
        assertThat(queue.drain("work", 2, worker, Duration.ZERO)).isEqualTo(2);
        assertThat(queue.drain("work", 2, worker, Duration.ofMinutes(5))).isEqualTo(1);
        assertThat(transactionsSeen).extracting(List::size).containsExactly(2, 2, 1);
        assertThat(transactionsSeen.stream().flatMap(List::stream)).containsExactlyInAnyOrderElementsOf(queued);
    }

    /** Empties the queue (enrolling queued the devices), then queues these. */
    private void queueAll(DeviceId... devices) {
        drain(id -> transactions.inTransaction("work", tx -> {
            queue.dequeue(tx, id);
            return null;
        }));
        for (DeviceId queued : devices) {
            transactions.inTransaction("queue", tx -> {
                queue.enqueue(tx, queued);
                return null;
            });
        }
    }

    private int drain(Consumer<DeviceId> worker) {
        return queue.drain(worker);
    }
}
