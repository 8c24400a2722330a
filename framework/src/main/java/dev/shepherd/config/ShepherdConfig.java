package dev.shepherd.config;

import dev.shepherd.security.SecretBox;

import dev.shepherd.device.InventoryLimits;
import dev.shepherd.directory.DeprovisioningPolicy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The server's configuration, resolved from {@code conf/shepherd.yaml} and {@code SHEPHERD_*} environment
 * variables by {@link ConfigLoader}.
 *
 * @param home the installation directory; relative paths resolve against it
 * @param http plain HTTP listener
 * @param https TLS listener
 * @param dataDir where the database, generated keys and plugin work files live
 * @param pluginsDir the directory operators drop plugin files into
 * @param database the kernel store
 * @param plugins the plugin host
 * @param commands the command queue
 * @param bootstrapAdmin the first admin, created when no admin exists yet
 * @param security how admins may authenticate
 * @param node this server among others: the name its metrics carry
 * @param metrics the optional separate metrics listener
 * @param retention how long the event log, finished commands, webhook deliveries and the audit log are kept
 * @param deprovisioning what happens to the devices of people an identity provider deactivated
 * @param threat threat defense: the default stale age of connectors' verdicts, and a poll interval for every connector
 */
public record ShepherdConfig(
        Path home,
        Http http,
        Https https,
        Path dataDir,
        Path pluginsDir,
        Database database,
        Plugins plugins,
        Commands commands,
        InventoryLimits inventory,
        Optional<BootstrapAdmin> bootstrapAdmin,
        Security security,
        Node node,
        Metrics metrics,
        Retention retention,
        DeprovisioningPolicy deprovisioning,
        Threat threat) {

    public ShepherdConfig {
        requireNonNull(home, "home is null");
        requireNonNull(inventory, "inventory is null");
        requireNonNull(http, "http is null");
        requireNonNull(https, "https is null");
        requireNonNull(dataDir, "dataDir is null");
        requireNonNull(pluginsDir, "pluginsDir is null");
        requireNonNull(database, "database is null");
        requireNonNull(plugins, "plugins is null");
        requireNonNull(commands, "commands is null");
        requireNonNull(bootstrapAdmin, "bootstrapAdmin is null");
        requireNonNull(security, "security is null");
        requireNonNull(node, "node is null");
        requireNonNull(metrics, "metrics is null");
        requireNonNull(retention, "retention is null");
        requireNonNull(deprovisioning, "deprovisioning is null");
        requireNonNull(threat, "threat is null");
    }

    /**
     * Threat defense ({@code threat.*}).
     *
     * @param staleAfter how long a connector may stay silent before its verdicts are stale, when neither the connector
     *        nor an admin says ({@code threat.staleAfter}, default 6 hours)
     * @param pollInterval polls every connector this often, whatever it asks ({@code threat.pollInterval}; for tests and
     *        demonstrations: a vendor's rate limits assume the connector's own interval)
     */
    public record Threat(Duration staleAfter, Optional<Duration> pollInterval) {
        public Threat {
            requireNonNull(staleAfter, "staleAfter is null");
            requireNonNull(pollInterval, "pollInterval is null");
            if (staleAfter.isNegative() || staleAfter.isZero()) {
                throw new IllegalArgumentException("threat.staleAfter must be positive");
            }
            if (pollInterval.filter(interval -> interval.isNegative() || interval.isZero()).isPresent()) {
                throw new IllegalArgumentException("threat.pollInterval must be positive");
            }
        }
    }

    /**
     * What the retention job ({@code retention.RetentionService}) removes, each time it runs. Everything is kept
     * unless configured; the audit log is only ever shortened behind a checkpoint that keeps its chain verifiable.
     *
     * @param events rule for the event log
     * @param commands rule for finished commands (with their results) and the fan-outs left without commands
     * @param webhookDeliveries rule for delivered and failed webhook deliveries
     * @param audit rule for the audit log
     * @param interval how often the job runs
     */
    public record Retention(RetentionRule events, RetentionRule commands, RetentionRule webhookDeliveries, RetentionRule audit,
                            Duration interval) {
        /** Keeps everything, checking once an hour. */
        public static final Retention KEEP_EVERYTHING = new Retention(RetentionRule.KEEP, RetentionRule.KEEP, RetentionRule.KEEP,
                RetentionRule.KEEP, Duration.ofHours(1));

        public Retention {
            requireNonNull(events, "events is null");
            requireNonNull(commands, "commands is null");
            requireNonNull(webhookDeliveries, "webhookDeliveries is null");
            requireNonNull(audit, "audit is null");
            requireNonNull(interval, "interval is null");
        }
    }

    /**
     * One retention rule: a row goes when it is older than {@code maxAge} or when more than {@code maxCount} newer
     * rows of its kind exist, whichever removes more; neither set keeps everything.
     */
    public record RetentionRule(Optional<Duration> maxAge, Optional<Long> maxCount) {
        /** Keeps everything. */
        public static final RetentionRule KEEP = new RetentionRule(Optional.empty(), Optional.empty());

        public RetentionRule {
            requireNonNull(maxAge, "maxAge is null");
            requireNonNull(maxCount, "maxCount is null");
            maxCount.ifPresent(count -> {
                if (count < 1) {
                    throw new IllegalArgumentException("maxCount must be positive, not " + count);
                }
            });
        }

        /** @return whether the rule removes anything at all */
        public boolean removesAnything() {
            return maxAge.isPresent() || maxCount.isPresent();
        }
    }

    /**
     * @param name this node's name, the {@code node} tag of every metric series, so series from several nodes behind
     *             one load balancer stay apart; the host name unless configured
     */
    public record Node(String name) {
        public Node {
            requireNonNull(name, "name is null");
        }
    }

    /**
     * A listener that serves {@code /metrics} (and the health probes) without authentication, for a Prometheus
     * scraper on the same host or a management network; the admin API's {@code /metrics} needs a credential instead.
     *
     * @param port its port, 0 for any free port, -1 (the default) for none
     * @param host the interface it binds, loopback unless configured
     */
    public record Metrics(int port, String host) {
        public Metrics {
            requireNonNull(host, "host is null");
        }
    }

    /**
     * @param basicAuth whether the admin API accepts HTTP Basic credentials, for scripts; off by default, because a
     *                  browser caches them and attaches them to requests other sites make
     * @param secretsKeyFile the key that seals the secrets kept in the database; empty for {@code data/keys/secrets.key}.
     *                       Several nodes on one database must all read the same key
     * @param breakGlassAdmins the only local accounts that may sign in with a password ({@code security.breakGlassAdmins}),
     *                         once admins sign in with their organisation; empty: every local account may
     */
    public record Security(boolean basicAuth, Optional<Path> secretsKeyFile, Set<String> breakGlassAdmins) {
        public Security {
            requireNonNull(secretsKeyFile, "secretsKeyFile is null");
            breakGlassAdmins = Set.copyOf(requireNonNull(breakGlassAdmins, "breakGlassAdmins is null"));
        }

        /** Every local account may sign in with its password. */
        public Security(boolean basicAuth, Optional<Path> secretsKeyFile) {
            this(basicAuth, secretsKeyFile, Set.of());
        }

        /** @return whether a local account may sign in with its password */
        public boolean localPasswordAllowed(String username) {
            return breakGlassAdmins.isEmpty() || breakGlassAdmins.contains(username);
        }

        /** @return the secrets key file this installation uses */
        public Path secretsKey(Path dataDir) {
            return secretsKeyFile.orElseGet(() -> SecretBox.defaultKeyFile(dataDir));
        }
    }

    /**
     * @param host interface to bind
     * @param port port, 0 for any free port, -1 to disable
     * @param maxRequestBytes largest request body accepted, except by plugin admin endpoints that take their bodies as files
     *                        ({@code AdminEndpoint.maxStreamedBodyBytes})
     * @param trustedProxies addresses or CIDR ranges of reverse proxies allowed to pass on device client
     *                       certificates (RFC 9440 {@code Client-Cert}); empty trusts none
     * @param redirectToHttps whether plain HTTP requests for the console and the API's sign-in are redirected to the
     *                        HTTPS listener; empty for the default: redirected unless they arrived on a loopback
     *                        address (local development)
     */
    public record Http(String host, int port, long maxRequestBytes, List<String> trustedProxies,
                       Optional<Boolean> redirectToHttps) {
        public Http {
            trustedProxies = List.copyOf(trustedProxies);
            requireNonNull(redirectToHttps, "redirectToHttps is null");
        }
    }

    /**
     * @param port port, 0 for any free port, -1 to disable
     * @param keystore a PKCS#12 keystore; empty to generate a self-signed certificate in the data directory
     * @param keystorePassword the keystore's password
     * @param hostnames names put into a generated certificate
     * @param publicUrl the base URL devices reach the server at, such as {@code https://mdm.example.com} behind a
     *                  proxy; empty for {@code https://<first hostname>:<https port>}
     */
    public record Https(int port, Optional<Path> keystore, String keystorePassword, List<String> hostnames,
                        Optional<String> publicUrl) {
        public Https {
            requireNonNull(keystore, "keystore is null");
            requireNonNull(keystorePassword, "keystorePassword is null");
            hostnames = List.copyOf(hostnames);
            requireNonNull(publicUrl, "publicUrl is null");
        }

        @Override
        public String toString() {
            return "Https[port=" + port + ", keystore=" + keystore + ", hostnames=" + hostnames + ", publicUrl=" + publicUrl + "]";
        }
    }

    /**
     * @param url JDBC URL; empty for embedded Derby in the data directory
     * @param username database user, empty for none
     * @param password database password, empty for none
     * @param poolSize maximum pooled connections
     */
    public record Database(Optional<String> url, String username, String password, int poolSize) {

        /** A password written into a JDBC URL: after the user in {@code //user:password@host}, or as a parameter. */
        private static final Pattern URL_USER_PASSWORD = Pattern.compile("(//[^/:@?;]*):[^/@?;]*@");
        private static final Pattern URL_PASSWORD_PARAMETER = Pattern.compile(
                "(?i)([?&;](?:password|sslpassword|sslkeypassword)=)[^&;]*");

        /** The URL as it may be shown or logged: a password written into it is replaced by {@code ***}. */
        public Optional<String> displayUrl() {
            return url.map(Database::redacted);
        }

        /** {@code url} with any password in it replaced by {@code ***}. */
        public static String redacted(String url) {
            String withoutUserPassword = URL_USER_PASSWORD.matcher(url).replaceAll("$1:***@");
            return URL_PASSWORD_PARAMETER.matcher(withoutUserPassword).replaceAll("$1***");
        }

        @Override
        public String toString() {
            return "Database[url=" + displayUrl() + ", username=" + username + ", poolSize=" + poolSize + "]";
        }
    }

    /**
     * @param scanInterval how often the plugins directory is scanned for changes
     * @param callTimeout how long a call into a plugin may take before it is failed (and the plugin's breaker opens)
     * @param breakerFailures failed calls in a row that open a plugin's circuit breaker, taking it out of service
     * @param breakerCoolDown how long an open breaker keeps a plugin out of service before one trial call
     * @param settings each plugin's own settings, by plugin id
     */
    public record Plugins(Duration scanInterval, Duration callTimeout, int breakerFailures, Duration breakerCoolDown,
                          Map<String, Map<String, String>> settings) {
        public Plugins {
            requireNonNull(scanInterval, "scanInterval is null");
            requireNonNull(callTimeout, "callTimeout is null");
            requireNonNull(breakerCoolDown, "breakerCoolDown is null");
            settings = Map.copyOf(settings);
        }
    }

    /**
     * @param pushRate the most wake-up pushes per second, across platforms
     * @param expiryInterval how often expired commands are ended
     * @param maxAttempts how many times a command is handed to its device without an answer before it is FAILED
     */
    public record Commands(int pushRate, Duration expiryInterval, int maxAttempts) {
        public Commands {
            requireNonNull(expiryInterval, "expiryInterval is null");
        }
    }

    /**
     * @param username login name
     * @param password initial password
     */
    public record BootstrapAdmin(String username, String password) {
        @Override
        public String toString() {
            return "BootstrapAdmin[username=" + username + "]";
        }
    }
}
