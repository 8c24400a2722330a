package dev.shepherd.command;

import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.device.DeviceRecord;
import dev.shepherd.device.DeviceService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static java.util.Objects.requireNonNull;

/**
 * Wakes devices that have new commands through their platform's push service, at a bounded rate, so a fan-out to
 * a whole fleet does not flood the push service or bring every device back at the same moment. Progress of each
 * batch is recorded as it goes. Pushes are a hint: a device that misses one still gets its commands at its next
 * check-in, so the queue of pending pushes lives in memory. Each batch's targets are counted apart as pushed (the
 * push service took the wake-up), awaiting enrollment (PENDING: never enrolled, nothing to push to) and unreachable
 * (the platform has no push channel to the device, or the push failed).
 */
public final class PushScheduler implements CommandService.Waker, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PushScheduler.class);
    private static final int PROGRESS_EVERY = 500;

    private record Wake(DeviceId device, Optional<String> batchId) {
    }

    private final LinkedBlockingQueue<Wake> pending = new LinkedBlockingQueue<>();
    private final DeviceService devices;
    private final Predicate<Device> push;
    private final CommandService commands;
    private final long nanosPerPush;
    private final Thread worker;
    private volatile boolean running = true;

    /**
     * @param pushesPerSecond the most wake-ups per second across all platforms
     * @param push sends one wake-up; returns whether the push service took it (false: no push channel to the device)
     */
    public PushScheduler(DeviceService devices, CommandService commands, Predicate<Device> push, int pushesPerSecond) {
        this.devices = requireNonNull(devices, "devices is null");
        this.commands = requireNonNull(commands, "commands is null");
        this.push = requireNonNull(push, "push is null");
        if (pushesPerSecond < 1) {
            throw new IllegalArgumentException("pushesPerSecond must be positive");
        }
        this.nanosPerPush = TimeUnit.SECONDS.toNanos(1) / pushesPerSecond;
        this.worker = new Thread(this::run, "push-scheduler");
        this.worker.setDaemon(true);
        this.worker.start();
    }

    @Override
    public void wake(Collection<DeviceId> targets, Optional<String> batchId) {
        for (DeviceId device : targets) {
            pending.add(new Wake(device, batchId));
        }
    }

    /** @return wake-ups not yet sent */
    public int backlog() {
        return pending.size();
    }

    /** How the wake-ups of one batch went since its progress was last recorded. */
    private static final class Reach {
        private final String batchId;
        private int pushed;
        private int awaitingEnrollment;
        private int unreachable;

        private Reach(String batchId) {
            this.batchId = batchId;
        }

        private int counted() {
            return pushed + awaitingEnrollment + unreachable;
        }
    }

    private void run() {
        Reach current = null;
        long next = System.nanoTime();
        while (running) {
            try {
                Wake wake = pending.poll(200, TimeUnit.MILLISECONDS);
                if (current != null && (wake == null || !wake.batchId().orElse("").equals(current.batchId))) {
                    record(current);
                    current = null;
                }
                if (wake == null) {
                    continue;
                }
                if (current == null && wake.batchId().isPresent()) {
                    current = new Reach(wake.batchId().get());
                }
                Optional<Device> device = devices.get(wake.device()).map(DeviceRecord::device);
                if (device.isEmpty()) {
                    continue;
                }
                if (device.get().status() == DeviceStatus.PENDING) {
                    // A device that never enrolled has no push channel: its command waits for the enrollment.
                    if (current != null) {
                        current.awaitingEnrollment++;
                    }
                    continue;
                }
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                next = Math.max(next + nanosPerPush, System.nanoTime() - TimeUnit.SECONDS.toNanos(1));
                boolean taken = push(device.get());
                if (current != null) {
                    if (taken) {
                        current.pushed++;
                    } else {
                        current.unreachable++;
                    }
                    if (current.counted() >= PROGRESS_EVERY) {
                        record(current);
                        current = new Reach(current.batchId);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.warn("Recording wake-up progress failed: {}", e.getMessage());
            }
        }
    }

    /** One wake-up; a push that throws reached nobody. */
    private boolean push(Device device) {
        try {
            return push.test(device);
        } catch (RuntimeException e) {
            log.warn("Wake-up push to device {} failed: {}", device.id(), e.getMessage());
            return false;
        }
    }

    private void record(Reach reach) {
        if (reach.counted() > 0) {
            commands.recordReach(reach.batchId, reach.pushed, reach.awaitingEnrollment, reach.unreachable);
        }
    }

    @Override
    public void close() {
        running = false;
        worker.interrupt();
    }
}
