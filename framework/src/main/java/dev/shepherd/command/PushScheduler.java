package dev.shepherd.command;

import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
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
 * check-in, so the queue of pending pushes lives in memory.
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
     * @param push sends one wake-up; returns whether the push service took it
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

    private void run() {
        String currentBatch = null;
        int unrecorded = 0;
        long next = System.nanoTime();
        while (running) {
            try {
                Wake wake = pending.poll(200, TimeUnit.MILLISECONDS);
                if (wake == null || !wake.batchId().orElse("").equals(currentBatch == null ? "" : currentBatch)) {
                    if (currentBatch != null && unrecorded > 0) {
                        commands.recordPushed(currentBatch, unrecorded);
                    }
                    unrecorded = 0;
                    currentBatch = wake == null ? null : wake.batchId().orElse(null);
                }
                if (wake == null) {
                    continue;
                }
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                next = Math.max(next + nanosPerPush, System.nanoTime() - TimeUnit.SECONDS.toNanos(1));
                devices.get(wake.device()).map(DeviceRecord::device).ifPresent(push::test);
                if (wake.batchId().isPresent() && ++unrecorded >= PROGRESS_EVERY) {
                    commands.recordPushed(wake.batchId().get(), unrecorded);
                    unrecorded = 0;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.warn("Wake-up push failed: {}", e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        running = false;
        worker.interrupt();
    }
}
