package dev.shepherd.plugin;

import com.google.inject.ConfigurationException;
import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.ProvisionException;
import com.google.inject.spi.Message;
import dev.shepherd.api.http.RequestRefusedException;
import org.pf4j.ExtensionPoint;
import org.pf4j.Plugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.Objects.requireNonNull;

/**
 * One loaded generation of a plugin: its class loader, its injector, its started {@link Plugin} and its
 * extensions. An upgrade creates a new generation beside the old one and then stops the old one.
 *
 * <p>Every call into plugin code runs on the generation's own threads, with the plugin's class loader as the
 * context loader and its id in the log context, bounded by the call timeout (Trino's class-loader-safe
 * wrappers, with a clock). A call that throws or hangs fails that call only; the generation's
 * {@link CircuitBreaker} takes it out of service when its calls keep failing or one hangs.
 */
final class PluginGeneration implements PluginHandle {

    private static final Logger log = LoggerFactory.getLogger(PluginGeneration.class);
    private static final int MAX_CONCURRENT_CALLS = 64;
    private static final int MAX_QUEUED_EVENTS = 10_000;
    /** Timed-out calls still holding their threads at which the generation is failed: a quarter of its pool. */
    private static final int LOGGED_OVERFLOW_FRAMES = 64;
    private static final int MAX_STUCK_CALLS = MAX_CONCURRENT_CALLS / 4;
    static final String EXTENSION_INDEX = "META-INF/extensions.idx";

    private final PluginArchive archive;
    private final PluginClassLoader classLoader;
    private final Duration callTimeout;
    private final Supervisor supervisor;
    private final CircuitBreaker breaker;
    private final PluginCallObserver observer;
    private final Clock clock;
    /** Calls that timed out and whose threads have not ended yet. */
    private final AtomicInteger stuckCalls = new AtomicInteger();
    private final ThreadPoolExecutor callExecutor;
    private final ThreadPoolExecutor eventExecutor;
    private volatile String failureReason;
    private volatile boolean stopping;
    private Plugin plugin;
    private List<ExtensionRegistry.Registration<?>> registrations = List.of();

    /** Told when a generation's circuit breaker takes it out of service, or when it can no longer serve at all. */
    interface Supervisor {
        /** The breaker opened: the plugin's calls are refused until a trial call after the cool-down succeeds. */
        void outOfService(PluginGeneration generation, String reason);

        /** The generation cannot serve any more (its calls are stuck) and must be retired. */
        void failed(PluginGeneration generation, String reason);
    }

    /**
     * How a generation's calls are bounded and judged.
     *
     * @param callTimeout how long one call may take
     * @param breaker when failed calls take the plugin out of service, and for how long
     * @param clock the clock the breaker's cool-down runs on
     * @param observer told how each call ended and how long it took
     */
    record CallPolicy(Duration callTimeout, CircuitBreaker.Settings breaker, Clock clock, PluginCallObserver observer) {
        CallPolicy {
            requireNonNull(callTimeout, "callTimeout is null");
            requireNonNull(breaker, "breaker is null");
            requireNonNull(clock, "clock is null");
            requireNonNull(observer, "observer is null");
        }
    }

    private PluginGeneration(PluginArchive archive, ClassLoader kernelLoader, CallPolicy policy, Supervisor supervisor) {
        this.archive = requireNonNull(archive, "archive is null");
        this.callTimeout = requireNonNull(policy, "policy is null").callTimeout();
        this.supervisor = requireNonNull(supervisor, "supervisor is null");
        this.clock = policy.clock();
        this.observer = policy.observer();
        this.breaker = new CircuitBreaker(policy.breaker(), clock);
        this.classLoader = new PluginClassLoader("plugin:" + id() + "@" + version(), archive.classpath(), kernelLoader);
        this.callExecutor = new ThreadPoolExecutor(0, MAX_CONCURRENT_CALLS, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), threads("plugin-" + id() + "-"));
        this.eventExecutor = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(MAX_QUEUED_EVENTS), threads("plugin-" + id() + "-events-"));
        this.eventExecutor.allowCoreThreadTimeOut(true);
    }

    /**
     * Loads and starts a generation: migrations, injector, plugin start, extensions. Nothing is registered
     * with the kernel yet; the host swaps registrations once this returns.
     */
    static PluginGeneration start(PluginArchive archive, ClassLoader kernelLoader, PluginEnvironment environment,
                                  CallPolicy policy, Supervisor supervisor)
            throws PluginLoadException {
        PluginGeneration generation = new PluginGeneration(archive, kernelLoader, policy, supervisor);
        try {
            generation.startInside(environment);
            return generation;
        } catch (PluginLoadException e) {
            generation.release();
            throw e;
        } catch (RuntimeException | LinkageError e) {
            generation.release();
            throw new PluginLoadException("failed to load: " + PluginArchive.describe(e), e);
        }
    }

    private void startInside(PluginEnvironment environment) throws PluginLoadException {
        if (archive.hasMigrations()) {
            String schema = PluginEnvironment.schemaOf(id());
            try {
                int applied = invoke("database migration", () -> environment.database().migratePluginSchema(schema, classLoader,
                        archive.migrationsPerEngine()));
                log.info("Plugin {} schema {}: {} migration(s) applied", id(), schema, applied);
            } catch (PluginCallException e) {
                throw new PluginLoadException("database migration failed: " + e.getMessage(), e);
            }
        }
        Injector injector = Guice.createInjector(environment.moduleFor(id(), version()));
        String pluginClassName = archive.descriptor().getPluginClass();
        if (pluginClassName != null && !pluginClassName.isBlank() && !pluginClassName.equals(Plugin.class.getName())) {
            Class<?> pluginClass = loadOwnClass(pluginClassName);
            if (!Plugin.class.isAssignableFrom(pluginClass)) {
                throw new PluginLoadException("Plugin-Class " + pluginClassName + " does not extend " + Plugin.class.getName());
            }
            Plugin created = (Plugin) instantiate(injector, pluginClass);
            try {
                invoke("Plugin.start", () -> {
                    created.start();
                    return null;
                });
            } catch (PluginCallException e) {
                throw new PluginLoadException(e.getMessage(), e);
            }
            plugin = created;
        }
        List<ExtensionRegistry.Registration<?>> created = new ArrayList<>();
        for (String className : extensionClassNames()) {
            Class<?> extensionClass = loadOwnClass(className);
            Set<Class<?>> points = extensionPoints(extensionClass);
            if (points.isEmpty()) {
                throw new PluginLoadException("extension " + className + " implements no Shepherd extension point");
            }
            Object extension = instantiate(injector, extensionClass);
            for (Class<?> point : points) {
                created.add(registration(point, extension));
            }
        }
        registrations = List.copyOf(created);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private ExtensionRegistry.Registration<?> registration(Class<?> point, Object extension) {
        return new ExtensionRegistry.Registration(this, point, extension);
    }

    /** Creates a plugin object through the plugin's injector, on the plugin's threads, so constructors are guarded too. */
    private Object instantiate(Injector injector, Class<?> type) throws PluginLoadException {
        try {
            return invoke("creating " + type.getName(), () -> injector.getInstance(type));
        } catch (PluginCallException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ConfigurationException configuration) {
                throw new PluginLoadException("cannot create " + type.getName() + ": " + firstMessage(configuration.getErrorMessages()), e);
            }
            if (cause instanceof ProvisionException provision) {
                throw new PluginLoadException("cannot create " + type.getName() + ": " + firstMessage(provision.getErrorMessages()), e);
            }
            if (cause instanceof CreationException creation) {
                throw new PluginLoadException("cannot create " + type.getName() + ": " + firstMessage(creation.getErrorMessages()), e);
            }
            throw new PluginLoadException(e.getMessage(), e);
        }
    }

    private static String firstMessage(Collection<Message> messages) {
        return messages.isEmpty() ? "unknown injection error" : messages.iterator().next().getMessage();
    }

    private Class<?> loadOwnClass(String className) throws PluginLoadException {
        try {
            return Class.forName(className, false, classLoader);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new PluginLoadException("cannot load class " + className + ": " + PluginArchive.describe(e), e);
        }
    }

    /** The classes listed in the plugin's own PF4J extension index (generated by PF4J's annotation processor). */
    private List<String> extensionClassNames() throws PluginLoadException {
        Set<String> names = new LinkedHashSet<>();
        try {
            for (URL index : Collections.list(classLoader.findResources(EXTENSION_INDEX))) {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(index.openStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = reader.readLine()) != null; ) {
                        String name = line.trim();
                        if (!name.isEmpty() && !name.startsWith("#")) {
                            names.add(name);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new PluginLoadException("cannot read " + EXTENSION_INDEX + ": " + e.getMessage(), e);
        }
        return List.copyOf(names);
    }

    /** The kernel-side extension points a class implements: interfaces extending ExtensionPoint that the kernel loaded. */
    private Set<Class<?>> extensionPoints(Class<?> type) {
        Set<Class<?>> points = new LinkedHashSet<>();
        Deque<Class<?>> toVisit = new ArrayDeque<>();
        for (Class<?> current = type; current != null; current = current.getSuperclass()) {
            toVisit.addAll(List.of(current.getInterfaces()));
        }
        while (!toVisit.isEmpty()) {
            Class<?> candidate = toVisit.pop();
            if (candidate != ExtensionPoint.class && ExtensionPoint.class.isAssignableFrom(candidate)
                    && candidate.getClassLoader() != classLoader) {
                points.add(candidate);
            }
            toVisit.addAll(List.of(candidate.getInterfaces()));
        }
        return points;
    }

    @Override
    public String id() {
        return archive.descriptor().getPluginId();
    }

    @Override
    public String version() {
        return archive.descriptor().getVersion();
    }

    PluginArchive archive() {
        return archive;
    }

    List<ExtensionRegistry.Registration<?>> registrations() {
        return registrations;
    }

    boolean isFailed() {
        return failureReason != null;
    }

    List<String> extensionNames() {
        return registrations.stream()
                .map(registration -> registration.point().getSimpleName() + ": " + registration.extension().getClass().getName())
                .toList();
    }

    @Override
    public <T> T call(String operation, Callable<T> call) throws PluginCallException {
        long start = System.nanoTime();
        CircuitBreaker.Admission admission = breaker.admit();
        if (admission == CircuitBreaker.Admission.REFUSED) {
            observer.called(id(), PluginCallObserver.Outcome.OUT_OF_SERVICE, System.nanoTime() - start);
            CircuitBreaker.Status status = breaker.status();
            Duration retryAfter = status.retryAt().map(at -> Duration.between(clock.instant(), at))
                    .filter(left -> !left.isNegative()).orElse(Duration.ZERO);
            throw PluginCallException.outOfService("plugin " + id() + " is out of service: "
                    + status.reason().orElse("a trial call is under way"), retryAfter);
        }
        try {
            T result = invoke(operation, call);
            breaker.succeeded(admission);
            observer.called(id(), PluginCallObserver.Outcome.OK, System.nanoTime() - start);
            return result;
        } catch (PluginCallException e) {
            observer.called(id(), outcomeOf(e), System.nanoTime() - start);
            switch (e.kind()) {
                case REFUSED -> breaker.succeeded(admission); // the plugin did its job: the input was bad
                case FAILED -> failedCall(admission, e);
                case BUSY, OUT_OF_SERVICE -> breaker.abandoned(admission);
            }
            throw e;
        }
    }

    private static PluginCallObserver.Outcome outcomeOf(PluginCallException e) {
        return switch (e.kind()) {
            case REFUSED -> PluginCallObserver.Outcome.REFUSED;
            case FAILED -> e.getCause() instanceof HungCall ? PluginCallObserver.Outcome.TIMEOUT : PluginCallObserver.Outcome.FAILED;
            case BUSY -> PluginCallObserver.Outcome.BUSY;
            case OUT_OF_SERVICE -> PluginCallObserver.Outcome.OUT_OF_SERVICE;
        };
    }

    /** Logs a failed call with its stack trace and counts it; the breaker decides whether the plugin stays in service. */
    private void failedCall(CircuitBreaker.Admission admission, PluginCallException e) {
        boolean hung = e.getCause() instanceof HungCall;
        boolean opened = breaker.failed(admission, e.getMessage(), hung);
        Throwable cause = e.getCause();
        if (cause instanceof StackOverflowError && cause.getStackTrace().length > LOGGED_OVERFLOW_FRAMES) {
            // The top of an overflow shows the recursion; the other thousand frames repeat it.
            cause.setStackTrace(Arrays.copyOf(cause.getStackTrace(), LOGGED_OVERFLOW_FRAMES));
        }
        String outerPlugin = MDC.get("plugin");
        MDC.put("plugin", id());
        try {
            log.error("Plugin {} {}: a call failed, which fails only what it was doing ({} failure(s) in a row): {}",
                    id(), version(), breaker.status().failuresInARow(), e.getMessage(), cause);
        } finally {
            if (outerPlugin == null) {
                MDC.remove("plugin");
            } else {
                MDC.put("plugin", outerPlugin);
            }
        }
        if (opened) {
            supervisor.outOfService(this, breaker.status().reason().orElse(e.getMessage()));
        }
    }

    /** @return the circuit breaker's view of this generation */
    CircuitBreaker.Status breakerStatus() {
        return breaker.status();
    }

    /**
     * Queues work for the plugin's event thread, which delivers in order; a full queue drops the event with
     * a warning rather than blocking the kernel. While the plugin is out of service, its events are dropped.
     */
    void deliverEvent(String operation, Callable<?> delivery) {
        if (stopping || failureReason != null) {
            return;
        }
        try {
            eventExecutor.execute(() -> {
                try {
                    call(operation, delivery);
                } catch (PluginCallException alreadyRecorded) {
                    // a failure is logged and counted by call(); a refusal of an out-of-service plugin drops the event
                }
            });
        } catch (RejectedExecutionException e) {
            log.warn("Plugin {} is not keeping up with events; dropped one for {}", id(), operation);
        }
    }

    /**
     * Runs one call on the plugin's threads and waits for it, bounded by the call timeout. A throw of any kind,
     * {@link StackOverflowError} included, ends that call only: the pool thread survives it. A call that does not
     * return in time is interrupted and reported; one that ignores the interruption keeps its thread, and a
     * generation with too many such stuck calls is failed, as it can no longer serve.
     */
    private <T> T invoke(String operation, Callable<T> call) throws PluginCallException {
        if (failureReason != null) {
            throw PluginCallException.outOfService("plugin " + id() + " has failed: " + failureReason, null);
        }
        CallTask<T> task = new CallTask<>(call);
        Future<T> future;
        try {
            future = callExecutor.submit(task);
        } catch (RejectedExecutionException e) {
            throw PluginCallException.busy("plugin " + id() + " is " + (stopping ? "stopping" : "busy: "
                    + MAX_CONCURRENT_CALLS + " calls in progress"), e);
        }
        try {
            return future.get(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            HungCall hung = task.abandon(operation, callTimeout);
            future.cancel(true);
            String reason = operation + " did not return within " + callTimeout.toMillis() + " ms";
            int stuck = stuckCalls.get();
            if (stuck >= MAX_STUCK_CALLS && failureReason == null) {
                failureReason = stuck + " calls are stuck past the call timeout, the last: " + reason;
                supervisor.failed(this, failureReason);
            }
            throw PluginCallException.failed(reason, hung);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RequestRefusedException refusal) {
                throw PluginCallException.refused(refusal.status(), refusal.detail(), refusal);
            }
            throw PluginCallException.failed(operation + " threw " + PluginArchive.describe(cause), cause);
        } catch (CancellationException e) {
            throw PluginCallException.busy("plugin " + id() + " is stopping", e);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw PluginCallException.busy("interrupted while calling " + operation + " of plugin " + id(), e);
        }
    }

    /**
     * Stands for a call that did not return in time, carrying the stack the plugin's thread was on when the timeout
     * struck, so the log shows where it hung.
     */
    static final class HungCall extends Exception {
        private static final long serialVersionUID = 1L;

        HungCall(String message, StackTraceElement[] where) {
            super(message, null, false, true);
            setStackTrace(where);
        }
    }

    /** One call on a plugin thread: context loader, log context, and whether it was given up on while still running. */
    private final class CallTask<T> implements Callable<T> {
        private static final int RUNNING = 0;
        private static final int DONE = 1;
        private static final int ABANDONED = 2;

        private final Callable<T> call;
        private final AtomicInteger state = new AtomicInteger(RUNNING);
        private volatile Thread thread;

        CallTask(Callable<T> call) {
            this.call = call;
        }

        @Override
        public T call() throws Exception {
            Thread current = Thread.currentThread();
            thread = current;
            ClassLoader previous = current.getContextClassLoader();
            current.setContextClassLoader(classLoader);
            MDC.put("plugin", id());
            try {
                return call.call();
            } finally {
                MDC.remove("plugin");
                current.setContextClassLoader(previous);
                thread = null;
                if (!state.compareAndSet(RUNNING, DONE)) {
                    stuckCalls.decrementAndGet(); // a call given up on has ended after all
                }
            }
        }

        HungCall abandon(String operation, Duration timeout) {
            Thread running = thread;
            StackTraceElement[] where = running == null ? new StackTraceElement[0] : running.getStackTrace();
            if (state.compareAndSet(RUNNING, ABANDONED)) {
                stuckCalls.incrementAndGet();
            }
            return new HungCall(operation + " was still running after " + timeout.toMillis() + " ms", where);
        }
    }

    /** Stops the plugin and releases everything it holds; the class loader becomes collectable. */
    void stop() {
        if (plugin != null && failureReason == null) {
            Plugin started = plugin;
            try {
                invoke("Plugin.stop", () -> {
                    started.stop();
                    return null;
                });
            } catch (PluginCallException e) {
                log.warn("Plugin {} {} did not stop cleanly: {}", id(), version(), e.getMessage());
            }
        }
        release();
    }

    private void release() {
        stopping = true;
        plugin = null;
        registrations = List.of();
        callExecutor.shutdownNow();
        eventExecutor.shutdownNow();
        try {
            classLoader.close();
        } catch (IOException e) {
            log.warn("Cannot close class loader of plugin {}: {}", id(), e.getMessage());
        }
        archive.delete();
    }

    /** Visible to tests that prove unloading releases the class loader. */
    ClassLoader classLoader() {
        return classLoader;
    }

    private ThreadFactory threads(String prefix) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
