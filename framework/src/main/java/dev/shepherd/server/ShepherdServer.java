package dev.shepherd.server;

import dev.shepherd.api.cluster.Leadership;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.event.EventTypes;
import dev.shepherd.api.group.GroupDirectory;
import dev.shepherd.api.identity.UserAuthenticator;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.ServerSigner;
import dev.shepherd.api.policy.PolicyService;
import dev.shepherd.cluster.ClusterNodes;
import dev.shepherd.cluster.ClusterResource;
import dev.shepherd.cluster.LeaseKeeper;
import dev.shepherd.cluster.Leases;
import dev.shepherd.cluster.PluginLeadership;
import dev.shepherd.config.ConfigException;
import dev.shepherd.config.ShepherdConfig;
import dev.shepherd.console.PluginConsolePages;
import dev.shepherd.console.WebConsole;
import dev.shepherd.group.PluginGroupDirectory;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.DeviceEndpointRouter;
import dev.shepherd.http.HealthHandler;
import dev.shepherd.http.HttpIo;
import dev.shepherd.http.HttpServer;
import dev.shepherd.http.Problem;
import dev.shepherd.http.RequestBodyFiles;
import dev.shepherd.http.TrustedProxies;
import dev.shepherd.plugin.ExtensionRegistry;
import dev.shepherd.plugin.PluginEnvironment;
import dev.shepherd.plugin.PluginEventDispatcher;
import dev.shepherd.plugin.PluginHost;
import dev.shepherd.plugin.IdentityProviders;
import dev.shepherd.plugin.SignInProviders;
import dev.shepherd.plugin.ClusterPluginFiles;
import dev.shepherd.plugin.JdbcPluginSwitches;
import dev.shepherd.pki.ScepHandler;
import dev.shepherd.pki.ScepService;
import dev.shepherd.policy.StoredSecretSweep;
import dev.shepherd.rest.AdminApi;
import dev.shepherd.rest.PluginAdminEndpoints;
import dev.shepherd.report.FleetReports;
import dev.shepherd.rest.SetupResource;
import dev.shepherd.api.identity.IdentityProvider;
import dev.shepherd.security.SecretBoxSealer;
import dev.shepherd.setup.HostLookup;
import dev.shepherd.setup.SetupChecklist;
import dev.shepherd.setup.SetupStep;
import dev.shepherd.retention.RetentionService;
import dev.shepherd.directory.Deprovisioning;
import dev.shepherd.directory.DeprovisioningPolicy;
import dev.shepherd.directory.DirectoryPasswords;
import dev.shepherd.directory.DirectorySignIn;
import dev.shepherd.directory.SignInCodes;
import dev.shepherd.portal.PortalSignIn;
import dev.shepherd.portal.SelfServicePortal;
import dev.shepherd.security.AdminSessions;
import dev.shepherd.security.RoleMappings;
import dev.shepherd.security.SsoFlows;
import dev.shepherd.security.AdminTotp;
import dev.shepherd.security.ApiTokens;
import dev.shepherd.plugin.AppStorePlugins;
import dev.shepherd.plugin.ThreatConnectorPlugins;
import dev.shepherd.rest.ThreatResource;
import dev.shepherd.threat.PluginThreatSignals;
import dev.shepherd.threat.ThreatPoller;
import dev.shepherd.api.threat.ThreatSignals;
import dev.shepherd.plugin.PlatformPlugins;
import dev.shepherd.api.command.CommandBus;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.DeviceSetup;
import dev.shepherd.app.KernelDeviceSetup;
import dev.shepherd.api.identity.UserDirectory;
import dev.shepherd.command.PluginCommandBus;
import dev.shepherd.command.PushScheduler;
import dev.shepherd.device.PluginDeviceRegistry;
import dev.shepherd.policy.PluginPolicyService;
import dev.shepherd.security.AdminAuthenticator;
import dev.shepherd.security.AdminRole;
import dev.shepherd.security.AdminUserStore;
import dev.shepherd.security.PasswordHasher;
import dev.shepherd.security.PasswordRules;
import dev.shepherd.security.SecretBox;
import dev.shepherd.api.config.PluginDataDirectory;
import dev.shepherd.security.OwnerOnlyFiles;
import dev.shepherd.security.SecretKeyCanary;
import dev.shepherd.security.SignInAudit;
import dev.shepherd.security.SignInFailures;
import dev.shepherd.security.TlsMaterial;
import dev.shepherd.pki.CmsServerSigner;
import dev.shepherd.enrollment.EnrollmentHandler;
import dev.shepherd.enrollment.EnrollmentSignInPage;
import dev.shepherd.event.EventDeviceBackfill;
import dev.shepherd.storage.Database;
import dev.shepherd.storage.Dialect;
import dev.shepherd.storage.JdbcPluginKeyValueStore;
import dev.shepherd.storage.Transactions;
import dev.shepherd.metrics.CommandQueueMetrics;
import dev.shepherd.metrics.MetricsEndpoint;
import dev.shepherd.metrics.MetricsServer;
import dev.shepherd.metrics.PluginCallMetrics;
import dev.shepherd.metrics.PushMetrics;
import dev.shepherd.metrics.ServerMetrics;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.undertow.server.handlers.PathHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.List;
import java.util.Optional;

import static dev.shepherd.http.HttpMetricsHandler.mounted;
import static java.util.Objects.requireNonNull;

/**
 * The running server: wires the kernel together in dependency order and takes it apart in reverse.
 * HTTP comes up before the plugins load, so {@code /health} answers 503 until they have.
 */
public final class ShepherdServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ShepherdServer.class);
    static final int BCRYPT_COST = 12;
    /** How old the gauges counted from the store (commands by state, queue depth) may get before a scrape recounts. */
    private static final Duration STORE_GAUGE_MAX_AGE = Duration.ofSeconds(5);
    /**
     * How long the policy reconciler, the compliance evaluator or the app reconciler (each on a thread of its own) works
     * in one run before it checks again that this node still leads, and how long another job of the maintenance thread
     * (the event backfill) may take before the others get a turn; the rest waits for the next run, 0.5-5 s later.
     */
    static final Duration MAINTENANCE_SLICE = Duration.ofSeconds(2);
    /** How long a lease lasts unless renewed, and how often it is renewed (a third of it, see {@link LeaseKeeper}). */
    static final Duration LEASE_TTL = Duration.ofSeconds(15);
    static final Duration LEASE_RENEWAL = Duration.ofSeconds(5);
    /** How often the change feed is read: the longest a change on another node goes unseen by this node's caches. */
    static final Duration CHANGE_FEED_POLL = Duration.ofMillis(250);
    /** How long the change feed's rows are kept: far longer than any node goes without reading it. */
    private static final Duration CHANGE_FEED_KEPT = Duration.ofMinutes(10);
    /** How often each app store's catalog and licence counts are read again; a store just loaded is read at once. */
    static final Duration APP_CATALOG_SYNC = Duration.ofMinutes(15);
    /** How often the threat poller looks for due polls and judges connectors' freshness (more often with a short threat.pollInterval). */
    static final Duration THREAT_POLL_TICK = Duration.ofSeconds(1);
    /** Failed sign-ins older than the longest window (the lockout) no longer count. */
    private static final Duration SIGN_IN_FAILURES_KEPT = Duration.ofMinutes(15);
    /** The daily fleet snapshot for the reports: first recorded this long after start, then again every interval. */
    private static final Duration FLEET_SNAPSHOT_FIRST = Duration.ofSeconds(20);
    private static final Duration FLEET_SNAPSHOT_INTERVAL = Duration.ofMinutes(15);

    private final List<AutoCloseable> closeInReverse = new ArrayList<>();
    private final ShepherdConfig config;
    private final Clock clock;
    private final UnaryOperator<DataSource> aroundStore;
    private Database database;
    private PluginHost plugins;
    private HttpServer http;
    private AdminApi adminApi;
    private AdminUserStore adminUsers;
    private Kernel kernel;
    private ServerMetrics metrics;
    private MetricsServer metricsServer;
    private LeaseKeeper leaseKeeper;
    private SignInFailures signInFailures;

    private ShepherdServer(ShepherdConfig config, Clock clock, UnaryOperator<DataSource> aroundStore) {
        this.config = requireNonNull(config, "config is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.aroundStore = requireNonNull(aroundStore, "aroundStore is null");
    }

    /**
     * Starts a server.
     *
     * @param config the configuration
     * @return the started server
     */
    public static ShepherdServer start(ShepherdConfig config) {
        return start(config, Clock.systemUTC());
    }

    /**
     * Starts a server on a given clock, which the kernel and the plugins go by (tests move it to reach expiry dates).
     *
     * @param config the configuration
     * @param clock the clock
     * @return the started server
     */
    public static ShepherdServer start(ShepherdConfig config, Clock clock) {
        return start(config, clock, UnaryOperator.identity());
    }

    /**
     * Starts a server whose store's connections are used through what {@code aroundStore} makes of its pool
     * ({@link Database#open(ShepherdConfig, UnaryOperator)}): tests count the statements and commits of a device's
     * messages this way.
     *
     * @param config the configuration
     * @param clock the clock
     * @param aroundStore wraps the store's pooled data source
     * @return the started server
     */
    public static ShepherdServer start(ShepherdConfig config, Clock clock, UnaryOperator<DataSource> aroundStore) {
        ShepherdServer server = new ShepherdServer(config, clock, aroundStore);
        try {
            server.startInside();
            return server;
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
    }

    private void startInside() {
        log.info("Starting Shepherd (home {}, data {}, plugins {})", config.home(), config.dataDir(), config.pluginsDir());
        try {
            // Keys, the database, the TLS keystore and plugin work files live here: the server's user only.
            OwnerOnlyFiles.directory(config.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the data directory " + config.dataDir(), e);
        }
        metrics = new ServerMetrics(config.node().name());
        closeInReverse.add(metrics);
        MeterRegistry meters = metrics.registry();
        database = Database.open(config, aroundStore);
        closeInReverse.add(database);
        database.bindMetrics(meters);

        adminUsers = new AdminUserStore(database.dataSource(), new PasswordHasher(BCRYPT_COST));
        createBootstrapAdmin();

        Path secretsKey = config.security().secretsKey(config.dataDir());
        SecretBox secrets = SecretBox.openKeyFile(secretsKey);
        SecretKeyCanary.check(new Transactions(database.dataSource()), secrets, secretsKey, clock);
        kernel = Kernel.over(database, secrets, clock, meters);
        startCluster(meters);
        HttpIo io = new HttpIo(kernel.json().mapper());
        ExtensionRegistry registry = new ExtensionRegistry();
        new PluginEventDispatcher(registry, kernel.bus());
        DeviceEndpointRouter deviceEndpoints = new DeviceEndpointRouter(io, TrustedProxies.of(config.http().trustedProxies()),
                meters);
        registry.addListener(deviceEndpoints);
        PlatformPlugins platforms = new PlatformPlugins();
        registry.addListener(platforms);
        registry.addListener(kernel.policies().settingTypes());
        // After the setting types: secrets stored in the clear by older servers are sealed as their types become known.
        StoredSecretSweep secretSweep = new StoredSecretSweep(kernel.transactions(),
                kernel.policies(), kernel.policies().secrets(), kernel.json(), kernel.clock());
        secretSweep.sweepKnownTypes();
        registry.addListener(secretSweep);
        kernel.policies().setPlatformSupport(platforms::supportedSettingTypes);
        kernel.commands().setPlatformCheck(platforms::refusal);
        kernel.commands().setMaxAttempts(config.commands().maxAttempts());
        kernel.devices().setInventoryLimits(config.inventory());
        kernel.commands().setFinalCommands(platforms::endManagement);
        AppStorePlugins appStores = new AppStorePlugins();
        registry.addListener(appStores);
        kernel.apps().setStores(appStores);
        kernel.apps().setAppOffers(platforms::offersAvailableApps);
        ThreatConnectorPlugins threatConnectors = new ThreatConnectorPlugins();
        registry.addListener(threatConnectors);
        kernel.threats().setDefaultStaleAfter(config.threat().staleAfter());

        PushScheduler pushes = new PushScheduler(kernel.devices(), kernel.commands(),
                new PushMetrics(meters).counting(platforms::wake), config.commands().pushRate());
        closeInReverse.add(pushes);
        Gauge.builder("shepherd.push.backlog", pushes, PushScheduler::backlog)
                .description("Wake-up pushes waiting for their turn under commands.pushRate").register(meters);
        CommandQueueMetrics queueMetrics = new CommandQueueMetrics(database.dataSource(), clock, meters, STORE_GAUGE_MAX_AGE);
        metrics.beforeScrape(queueMetrics::refreshIfStale);
        DistributionSummary fanOutRows = DistributionSummary.builder("shepherd.command.fanout.rows")
                .description("Fan-out command rows written per background run (the batch written in one go)").register(meters);
        kernel.commands().setWaker(pushes);
        ScheduledExecutorService maintenance = backgroundThread("kernel-maintenance");
        // Each queue of device work (policy, compliance, apps) drains on a thread of its own: on a shared thread, a
        // policy assigned to 100,000 devices was reconciled a third of the time, and the fleet waited for it.
        ScheduledExecutorService policyWork = backgroundThread("device-work-policy");
        ScheduledExecutorService complianceWork = backgroundThread("device-work-compliance");
        ScheduledExecutorService appWork = backgroundThread("device-work-apps");
        long expiryMillis = config.commands().expiryInterval().toMillis();
        maintenance.scheduleWithFixedDelay(() -> {
            try {
                if (!leads()) {
                    return;
                }
                kernel.commands().expireDue();
            } catch (RuntimeException e) {
                log.warn("Expiring commands failed: {}", e.getMessage());
            }
        }, expiryMillis, expiryMillis, TimeUnit.MILLISECONDS);
        policyWork.scheduleWithFixedDelay(() -> {
            try {
                if (!leads()) {
                    return;
                }
                kernel.policies().reconcilePending(MAINTENANCE_SLICE);
            } catch (RuntimeException e) {
                log.warn("Reconciling policies failed: {}", e.getMessage());
            }
        }, 500, 500, TimeUnit.MILLISECONDS);
        // Webhook deliveries wait on other people's servers, so they get a thread of their own.
        ScheduledExecutorService webhookDispatcher = backgroundThread("webhook-dispatcher");
        webhookDispatcher.scheduleWithFixedDelay(() -> {
            try {
                if (!leads()) {
                    return;
                }
                kernel.webhooks().deliverDue();
            } catch (RuntimeException e) {
                log.warn("Delivering webhooks failed: {}", e.getMessage());
            }
        }, 1, 1, TimeUnit.SECONDS);
        complianceWork.scheduleWithFixedDelay(() -> {
            try {
                if (!leads()) {
                    return;
                }
                kernel.compliance().evaluatePending(MAINTENANCE_SLICE);
            } catch (RuntimeException e) {
                log.warn("Evaluating compliance failed: {}", e.getMessage());
            }
        }, 1, 1, TimeUnit.SECONDS);
        maintenance.scheduleWithFixedDelay(() -> {
            try {
                if (!leads()) {
                    return;
                }
                kernel.compliance().sweep();
            } catch (RuntimeException e) {
                log.warn("Compliance sweep failed: {}", e.getMessage());
            }
        }, 5, 5, TimeUnit.MINUTES);
        appWork.scheduleWithFixedDelay(() -> {
            try {
                if (!leads()) {
                    return;
                }
                kernel.apps().reconcilePending(MAINTENANCE_SLICE);
            } catch (RuntimeException e) {
                log.warn("Reconciling apps failed: {}", e.getMessage());
            }
        }, 1, 1, TimeUnit.SECONDS);
        // Catalog syncs wait on the stores' clouds, so they get a thread of their own.
        ScheduledExecutorService appSync = backgroundThread("app-catalog-sync");
        appSync.scheduleWithFixedDelay(() -> {
            try {
                if (!leads()) {
                    return;
                }
                kernel.apps().syncDue(APP_CATALOG_SYNC);
            } catch (RuntimeException e) {
                log.warn("Syncing the app catalog failed: {}", e.getMessage());
            }
        }, 2, 2, TimeUnit.SECONDS);
        // Events from before event_log.device_id existed get their device, so device pages show their older activity.
        EventDeviceBackfill eventDevices = new EventDeviceBackfill(kernel.transactions(), kernel.json(), kernel.clock());
        maintenance.scheduleWithFixedDelay(() -> {
            try {
                if (!leads()) {
                    return;
                }
                eventDevices.run(MAINTENANCE_SLICE);
            } catch (RuntimeException e) {
                log.warn("Filling in the device of older events failed: {}", e.getMessage());
            }
        }, 10, 5, TimeUnit.SECONDS);
        FleetReports fleetReports = new FleetReports(kernel.transactions(), kernel.clock());
        // Soon after start, so a new or restarted server has today's snapshot, then often enough that the last run of a
        // day is close to its end.
        maintenance.scheduleWithFixedDelay(() -> {
            try {
                if (!leads()) {
                    return;
                }
                fleetReports.recordToday();
            } catch (RuntimeException e) {
                log.warn("Recording the fleet snapshot failed: {}", e.getMessage());
            }
        }, FLEET_SNAPSHOT_FIRST.toMillis(), FLEET_SNAPSHOT_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        ThreatPoller threatPoller = startThreatPolling(threatConnectors);
        RetentionService retention = new RetentionService(kernel.transactions(), kernel.audit(), kernel.clock(), config.retention());
        long retentionMillis = config.retention().interval().toMillis();
        maintenance.scheduleWithFixedDelay(() -> {
            if (!leads()) {
                return;
            }
            try {
                retention.runOnce();
            } catch (RuntimeException e) {
                log.warn("Retention failed: {}", e.getMessage());
            }
        }, retentionMillis, retentionMillis, TimeUnit.MILLISECONDS);
        Deprovisioning deprovisioning = new Deprovisioning(kernel.transactions(), kernel.commands(), kernel.audit(), kernel.json(),
                kernel.clock(), config.deprovisioning());
        if (config.deprovisioning().action() == DeprovisioningPolicy.Action.RETIRE) {
            maintenance.scheduleWithFixedDelay(() -> {
                if (!leads()) {
                    return;
                }
                try {
                    int people = deprovisioning.runOnce();
                    if (people > 0) {
                        log.info("Deprovisioned {} deactivated directory users: their devices were retired", people);
                    }
                } catch (RuntimeException e) {
                    log.warn("Deprovisioning failed: {}", e.getMessage());
                }
            }, 1, 1, TimeUnit.MINUTES);
        }
        maintenance.scheduleWithFixedDelay(() -> {
            try {
                if (!leads()) {
                    // Another node writes the fan-outs; this one learns which are under way, for its devices.
                    kernel.commands().refreshMaterializing();
                    return;
                }
                int written = kernel.commands().materializePending();
                if (written > 0) {
                    fanOutRows.record(written);
                }
            } catch (RuntimeException e) {
                log.warn("Writing fan-out commands failed: {}", e.getMessage());
            }
        }, 500, 500, TimeUnit.MILLISECONDS);
        maintenance.scheduleWithFixedDelay(() -> {
            try {
                if (!leads()) {
                    return;
                }
                kernel.changes().prune(CHANGE_FEED_KEPT);
                leaseKeeper.forgetDeadNodes();
                signInFailures.prune(SIGN_IN_FAILURES_KEPT);
            } catch (RuntimeException e) {
                log.warn("Pruning the cluster's tables failed: {}", e.getMessage());
            }
        }, 1, 1, TimeUnit.MINUTES);

        TlsMaterial.ServerIdentity identity = TlsMaterial.identity(config.https().keystore(), config.https().keystorePassword(),
                config.dataDir(), config.https().hostnames());
        PluginEnvironment environment = new PluginEnvironment(config.plugins().settings(),
                new JdbcPluginKeyValueStore(database.dataSource()), database, kernel.events(), clock);
        environment.exportPerPlugin(DeviceRegistry.class,
                pluginId -> new PluginDeviceRegistry(pluginId, kernel.devices(), kernel.enrollmentTokens(), kernel.recoveryKeys()));
        environment.export(DeviceSetup.class, new KernelDeviceSetup(kernel.policies(), kernel.apps()));
        environment.exportPerPlugin(GroupDirectory.class,
                pluginId -> new PluginGroupDirectory(pluginId, kernel.groups()));
        environment.exportPerPlugin(UserDirectory.class, kernel.userDirectory()::forPlugin);
        environment.exportPerPlugin(ThreatSignals.class, pluginId -> new PluginThreatSignals(pluginId, kernel.threats(), threatConnectors));
        environment.export(CommandBus.class, new PluginCommandBus(kernel.commands(), kernel.policies().secrets()::openMap));
        environment.export(CertificateAuthority.class, kernel.certificateAuthority());
        environment.export(ServerSigner.class, new CmsServerSigner(identity));
        environment.export(SecretSealer.class, new SecretBoxSealer(secrets));
        environment.export(PolicyService.class, new PluginPolicyService(kernel.policies()));
        environment.exportPerPlugin(Leadership.class, pluginId -> new PluginLeadership(pluginId, leaseKeeper));
        environment.export(ServerAddress.class, (ServerAddress) this::publicUrl);
        // Kept apart from the kernel's own files, so no plugin id can name one of them.
        Path pluginData = config.dataDir().resolve("plugin-data");
        environment.exportPerPlugin(PluginDataDirectory.class, pluginId -> {
            try {
                OwnerOnlyFiles.directory(pluginData);
                Path directory = OwnerOnlyFiles.directory(pluginData.resolve(pluginId)).toAbsolutePath();
                return (PluginDataDirectory) () -> directory;
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot create the data directory of plugin " + pluginId, e);
            }
        });
        IdentityProviders identityProviders = new IdentityProviders(registry);
        SignInCodes signInCodes = new SignInCodes(kernel.transactions(), kernel.clock());
        DirectorySignIn directorySignIn = new DirectorySignIn(identityProviders, kernel.directory(), signInCodes);
        environment.export(UserAuthenticator.class, directorySignIn);
        plugins = new PluginHost(config.pluginsDir(), config.dataDir().resolve("plugin-work"),
                config.plugins().scanInterval(), new PluginHost.CallLimits(config.plugins().callTimeout(),
                        config.plugins().breakerFailures(), config.plugins().breakerCoolDown()), environment, registry, kernel.events(),
                new JdbcPluginSwitches(kernel.transactions()), new PluginCallMetrics(meters),
                // PostgreSQL may be shared by several nodes, which then share their plugin files; Derby has one node.
                database.dialect() == Dialect.POSTGRESQL
                        ? new ClusterPluginFiles(kernel.transactions(), config.node().name(), clock,
                        config.dataDir().resolve("cluster-plugin-files.properties")) : PluginHost.PluginFiles.LOCAL);
        closeInReverse.add(plugins);

        adminUsers.setExternalPasswords(identityProviders);
        AdminSessions sessions = new AdminSessions(kernel.transactions(), kernel.clock());
        DirectoryPasswords userPasswords = new DirectoryPasswords(kernel.transactions(), kernel.audit(), new PasswordHasher(BCRYPT_COST),
                PasswordRules.standard());
        SignInProviders signInProviders = new SignInProviders(registry);
        PortalSignIn userSignIn = new PortalSignIn(userPasswords, directorySignIn, signInFailures, SignInAudit.portal(kernel.audit(), kernel.json()));
        EnrollmentSignInPage enrollmentSignIn = new EnrollmentSignInPage(userSignIn, signInProviders, signInCodes, kernel.enrollmentTokens(), kernel.directory(),
                kernel.audit(), kernel.json(), io, deviceEndpoints::serves);
        AdminSessions portalSessions = AdminSessions.portal(kernel.transactions(), kernel.clock());
        SelfServicePortal portal = new SelfServicePortal(userSignIn, portalSessions,
                kernel.directory(), kernel.devices(), kernel.apps(), kernel.audit(), kernel.json(), kernel.clock(), io,
                config.http().maxRequestBytes(), this::publicUrl, signInProviders);
        ApiTokens tokens = new ApiTokens(kernel.transactions(), kernel.audit(), kernel.json(), kernel.clock());
        AdminTotp secondFactors = new AdminTotp(kernel.transactions(), secrets, kernel.clock());
        adminApi = new AdminApi(kernel, plugins, adminUsers, sessions, tokens, new AdminAuthenticator(adminUsers, sessions, tokens,
                config.security().basicAuth(), new SignInAudit(kernel.audit(), kernel.json()), signInFailures, kernel.changes(),
                secondFactors::active, config.security()::localPasswordAllowed), config.http().maxRequestBytes(), io, this::publicUrl, platforms::supported, userPasswords,
                secondFactors, new AdminApi.SingleSignOn(signInProviders, new SsoFlows(kernel.transactions(), secrets, kernel.clock()),
                new RoleMappings(kernel.transactions(), adminUsers.roles(), kernel.audit(), kernel.json(), kernel.clock()), portalSessions,
                directorySignIn, signInFailures, config.https().publicUrl(), enrollmentSignIn));
        PluginAdminEndpoints pluginAdminEndpoints;
        try {
            // On the data directory's file system, as plugin-data is, so a plugin keeps an upload by moving it.
            pluginAdminEndpoints = new PluginAdminEndpoints(new RequestBodyFiles(config.dataDir().resolve("request-bodies")));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare the directory for uploaded request bodies in " + config.dataDir(), e);
        }
        registry.addListener(pluginAdminEndpoints);
        adminApi.handler().addDynamicRoutes(pluginAdminEndpoints::routes);
        PluginConsolePages consolePages = new PluginConsolePages(io);
        registry.addListener(consolePages);
        adminApi.handler().addDynamicRoutes(consolePages::routes);
        MetricsEndpoint metricsEndpoint = new MetricsEndpoint(metrics);
        List<AdminRoute> metricsRoutes = List.of(metricsEndpoint.route(), ClusterResource.route(leaseKeeper));
        adminApi.handler().addDynamicRoutes(() -> metricsRoutes);
        SetupChecklist setup = new SetupChecklist(kernel.transactions(), kernel.audit(), kernel.json(), kernel.clock(),
                () -> new SetupChecklist.Reachability(publicUrl(), config.https().publicUrl().isPresent(),
                        config.https().port() >= 0 ? identity.chain() : List.of()),
                platforms::setupRequirements, platform -> platforms.supported().stream().anyMatch(supported -> supported.id().equals(platform)),
                () -> !registry.extensions(IdentityProvider.class).isEmpty() || !signInProviders.list().isEmpty(), HostLookup.system());
        List<AdminRoute> setupRoutes = new SetupResource(setup).routes();
        adminApi.handler().addDynamicRoutes(() -> setupRoutes);
        List<AdminRoute> threatRoutes = new ThreatResource(kernel, threatConnectors, threatPoller::setupProblems).routes();
        adminApi.handler().addDynamicRoutes(() -> threatRoutes);
        HealthHandler health = new HealthHandler(database, plugins, io);
        WebConsole console = new WebConsole(consolePages::contentSecurityPolicy);
        // Each mount names its route for the HTTP metrics; the admin API and the device router name finer ones.
        PathHandler paths = new PathHandler()
                .addExactPath("/", mounted("/", console.page()))
                .addPrefixPath(WebConsole.ASSETS, mounted(WebConsole.ASSETS + "/**", console.assets()))
                .addPrefixPath(SelfServicePortal.MOUNT, mounted(SelfServicePortal.MOUNT + "/**", portal.handler()))
                .addPrefixPath(PluginConsolePages.MOUNT, mounted(PluginConsolePages.MOUNT + "/**", consolePages.files()))
                .addExactPath("/health", mounted("/health", health))
                .addExactPath("/health/live", mounted("/health/live", health.live()))
                .addExactPath("/health/ready", mounted("/health/ready", health.ready()))
                .addExactPath(MetricsEndpoint.PATH, adminApi.handler())
                .addPrefixPath(DeviceEndpointRouter.MOUNT, mounted(DeviceEndpointRouter.MOUNT + "/**", deviceEndpoints))
                .addPrefixPath("/scep", mounted("/scep/**", new ScepHandler(new ScepService(kernel.certificateAuthority()), io)))
                .addPrefixPath(EnrollmentHandler.MOUNT, mounted(EnrollmentHandler.MOUNT + "/**",
                        new EnrollmentHandler(kernel.enrollmentTokens(), kernel.directory(), platforms, this::publicUrl, io, enrollmentSignIn,
                                platform -> setup.readiness(platform.id()).blocking().stream().map(SetupStep::title).toList())))
                .addExactPath("/api/openapi.json", mounted("/api/openapi.json", adminApi.openApiHandler()))
                .addPrefixPath("/api/docs", mounted("/api/docs/**", adminApi.docsHandler()))
                .addPrefixPath("/api", mounted("/api/**", adminApi.handler()))
                .addPrefixPath("/", deviceEndpoints.wellKnownPaths(exchange -> io.sendProblem(exchange,
                        Problem.notFound("There is nothing at " + exchange.getRequestPath() + "."))));
        Optional<SSLContext> tls = config.https().port() >= 0 ? Optional.of(TlsMaterial.serverContext(identity)) : Optional.empty();
        http = new HttpServer(config, tls, paths, io, meters);
        http.start();
        // Registered after the plugin host so it closes first: stop taking requests, then stop plugins.
        closeInReverse.add(http);
        if (config.metrics().port() >= 0) {
            metricsServer = new MetricsServer(config.metrics().host(), config.metrics().port(), metricsEndpoint, health, io);
            metricsServer.start();
            closeInReverse.add(metricsServer);
        }

        plugins.start();
        log.info("Shepherd is up: {} plugin(s) loaded", plugins.plugins().size());
    }

    /**
     * Polls the threat-defense connectors on the node that leads: a thread that looks for due polls (often enough for
     * the shortest interval configured), and workers that each run one connector's poll, so a hanging connector holds
     * only its own worker (for at most the plugin call timeout) and never another connector's poll.
     */
    private ThreatPoller startThreatPolling(ThreatConnectorPlugins connectors) {
        ExecutorService workers = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "threat-poll");
            thread.setDaemon(true);
            return thread;
        });
        ThreatPoller poller = new ThreatPoller(kernel.threats(), connectors, workers, clock, config.threat().pollInterval());
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "threat-poller");
            thread.setDaemon(true);
            return thread;
        });
        closeInReverse.add(() -> stopAndWait(workers));
        closeInReverse.add(() -> stopAndWait(scheduler));
        long tickMillis = Math.max(50, Math.min(THREAT_POLL_TICK.toMillis(),
                config.threat().pollInterval().map(interval -> interval.toMillis() / 2).orElse(Long.MAX_VALUE)));
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                if (!leads()) {
                    return;
                }
                poller.tick();
            } catch (RuntimeException e) {
                log.warn("Looking for due threat-defense polls failed: {}", e.getMessage());
            }
        }, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
        return poller;
    }

    /**
     * Joins the cluster of nodes sharing the database: takes (or learns who holds) the kernel's lease, beats this node's
     * heart, and polls the change feed. One lease covers every kernel maintenance job: they are light, they work on the
     * same tables, and one holder is one place to look; a lease per job would spread nothing, as each job is one thread.
     */
    private void startCluster(MeterRegistry meters) {
        Clock wallClock = Clock.systemUTC(); // leases are about real time, whatever clock the kernel is given
        Leases leases = new Leases(kernel.transactions(), wallClock);
        if (database.dialect() == Dialect.DERBY) {
            leases.forgetAll(); // embedded: no other process has the store open, so no earlier holder is alive
        }
        leaseKeeper = new LeaseKeeper(leases, new ClusterNodes(kernel.transactions(), wallClock),
                config.node().name(), LEASE_TTL, LEASE_RENEWAL);
        signInFailures = new SignInFailures(kernel.transactions(), kernel.clock());
        // Closed after the jobs that act on its leases have stopped (they are registered later, so they close first).
        closeInReverse.add(leaseKeeper);
        leaseKeeper.renewAll();
        leaseKeeper.holds(LeaseKeeper.KERNEL);
        kernel.changes().poll();
        ScheduledExecutorService cluster = backgroundThread("cluster");
        cluster.scheduleWithFixedDelay(() -> {
            try {
                leaseKeeper.renewAll();
            } catch (RuntimeException e) {
                log.warn("Renewing this node's leases failed: {}", e.getMessage());
            }
        }, LEASE_RENEWAL.toMillis(), LEASE_RENEWAL.toMillis(), TimeUnit.MILLISECONDS);
        // A plugin that failed, went out of service or was unloaded here leaves its once-per-cluster work to a node where
        // it still runs (the lease stays there when it recovers here).
        Runnable unsubscribe = kernel.bus().subscribe(event -> {
            boolean gone = event.type().equals(EventTypes.PLUGIN_STOPPED) || event.type().equals(EventTypes.PLUGIN_FAILED);
            if (gone && event.data().get("pluginId") instanceof String pluginId) {
                cluster.execute(() -> leaseKeeper.giveUp(PluginLeadership.lease(pluginId)));
            }
        });
        closeInReverse.add(unsubscribe::run);
        // A thread of its own: on Derby a read of the feed waits for transactions still writing to it, which must not
        // hold up the lease renewals.
        ScheduledExecutorService changeFeed = backgroundThread("change-feed");
        changeFeed.scheduleWithFixedDelay(() -> {
            try {
                kernel.changes().poll();
            } catch (RuntimeException e) {
                log.warn("Reading the change feed failed: {}", e.getMessage());
            }
        }, CHANGE_FEED_POLL.toMillis(), CHANGE_FEED_POLL.toMillis(), TimeUnit.MILLISECONDS);
        Gauge.builder("shepherd.cluster.leader", leaseKeeper, keeper -> keeper.holds(LeaseKeeper.KERNEL) ? 1 : 0)
                .description("1 on the node that runs the kernel's maintenance jobs, 0 on the others").register(meters);
        Gauge.builder("shepherd.cluster.nodes", leaseKeeper, LeaseKeeper::nodesAlive)
                .description("Nodes sharing the database that beat their heart within the lease lifetime").register(meters);
    }

    /** @return whether this node runs the kernel's maintenance jobs now */
    /** A daemon thread for periodic work, stopped and waited for when the server closes (in reverse order of creation). */
    private ScheduledExecutorService backgroundThread(String name) {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        });
        closeInReverse.add(() -> stopAndWait(executor));
        return executor;
    }

    private boolean leads() {
        return leaseKeeper.holds(LeaseKeeper.KERNEL);
    }

    /** @return this node's side of the cluster: its id, its leases */
    public LeaseKeeper cluster() {
        return leaseKeeper;
    }

    private void createBootstrapAdmin() {
        if (config.bootstrapAdmin().isEmpty() || adminUsers.any()) {
            return;
        }
        ShepherdConfig.BootstrapAdmin admin = config.bootstrapAdmin().get();
        try {
            adminUsers.create(admin.username(), admin.password().toCharArray(), AdminRole.ADMIN);
            log.info("Created the first admin '{}' from the bootstrap settings", admin.username());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("bootstrapAdmin (SHEPHERD_BOOTSTRAP_ADMIN_USER/PASSWORD): " + e.getMessage());
        } catch (AdminUserStore.DuplicateUserException e) {
            log.info("Bootstrap admin '{}' exists already", admin.username());
        }
    }

    /**
     * Stops a background executor and waits for its task in flight, so it does not touch the database after the
     * database is closed (work it did not start is picked up at the next start).
     */
    private static void stopAndWait(ExecutorService executor) {
        // Not interrupted: Derby closes a connection whose thread is interrupted mid-statement.
        executor.shutdown();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("A background task did not stop within 10 s; interrupting it");
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The base URL devices reach the server at: {@code https.publicUrl}, or the HTTPS listener on the first of
     * {@code https.hostnames} (the plain HTTP listener when HTTPS is off).
     */
    public String publicUrl() {
        if (config.https().publicUrl().isPresent()) {
            return config.https().publicUrl().get();
        }
        String host = config.https().hostnames().get(0);
        return http.httpsPort() >= 0 ? "https://" + host + ":" + http.httpsPort() : "http://" + host + ":" + http.httpPort();
    }

    public ShepherdConfig config() {
        return config;
    }

    public Kernel kernel() {
        return kernel;
    }

    public PluginHost plugins() {
        return plugins;
    }

    public AdminUserStore adminUsers() {
        return adminUsers;
    }

    public List<AdminRoute> adminRoutes() {
        return adminApi.routes();
    }

    public AdminApi adminApi() {
        return adminApi;
    }

    /** @return the server's meters */
    public ServerMetrics metrics() {
        return metrics;
    }

    /** @return the bound port of the metrics listener, or -1 when {@code metrics.port} leaves it off */
    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.port();
    }

    public int httpPort() {
        return http.httpPort();
    }

    public int httpsPort() {
        return http.httpsPort();
    }

    /** Stops in reverse order of start; safe to call more than once and after a failed start. */
    @Override
    public synchronized void close() {
        for (int i = closeInReverse.size() - 1; i >= 0; i--) {
            try {
                closeInReverse.get(i).close();
            } catch (Exception e) {
                log.warn("Error while stopping {}: {}", closeInReverse.get(i).getClass().getSimpleName(), e.getMessage());
            }
        }
        closeInReverse.clear();
    }
}
