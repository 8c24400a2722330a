package dev.shepherd.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.shepherd.command.CommandService;
import dev.shepherd.device.InventoryLimits;
import dev.shepherd.directory.DeprovisioningPolicy;
import dev.shepherd.http.TrustedProxies;
import dev.shepherd.threat.ThreatService;
import dev.shepherd.storage.Dialect;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Reads {@code conf/shepherd.yaml} and overlays environment variables.
 *
 * <p>Every key {@code a.bCd} may be overridden by {@code SHEPHERD_A_B_CD}. Unknown keys and malformed
 * values stop start-up with a message naming the key and where its value came from, so a typo never
 * silently falls back to a default.
 */
public final class ConfigLoader {

    private static final String PLUGIN_SETTINGS_PREFIX = "plugins.config.";
    private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9._-]{1,63}");
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private final Map<String, String> environment;

    public ConfigLoader(Map<String, String> environment) {
        this.environment = Map.copyOf(requireNonNull(environment, "environment is null"));
    }

    /**
     * Loads the configuration.
     *
     * @param home the installation directory; relative paths resolve against it
     * @param configFile the YAML file; a missing file means all defaults
     * @return the configuration
     * @throws ConfigException naming the offending key
     */
    public ShepherdConfig load(Path home, Path configFile) {
        Map<String, Value> values = new TreeMap<>();
        if (Files.exists(configFile)) {
            flatten(readYaml(configFile), "", values, configFile.toString());
        }
        Values resolved = new Values(values, environment);
        for (String key : values.keySet()) {
            if (!KNOWN_KEYS.contains(key) && !key.startsWith(PLUGIN_SETTINGS_PREFIX)) {
                throw new ConfigException("Unknown configuration key '" + key + "' in " + configFile
                        + "; known keys: " + String.join(", ", KNOWN_KEYS));
            }
        }

        Path absoluteHome = home.toAbsolutePath().normalize();
        ShepherdConfig.Http http = new ShepherdConfig.Http(
                resolved.get("http.host", "0.0.0.0", text -> text),
                resolved.get("http.port", 8080, ConfigLoader::port),
                resolved.get("http.maxRequestBytes", 10L * 1024 * 1024, text -> positiveLong(text)),
                resolved.get("http.trustedProxies", List.<String>of(), ConfigLoader::proxies),
                resolved.get("http.redirectToHttps", Optional.<Boolean>empty(), text -> Optional.of(bool(text))));
        ShepherdConfig.Https https = new ShepherdConfig.Https(
                resolved.get("https.port", 8443, ConfigLoader::port),
                resolved.get("https.keystore", Optional.<Path>empty(),
                        text -> text.isBlank() ? Optional.empty() : Optional.of(path(absoluteHome, text))),
                resolved.get("https.keystorePassword", "", text -> text),
                resolved.get("https.hostnames", List.of("localhost"), ConfigLoader::list),
                resolved.get("https.publicUrl", Optional.<String>empty(), ConfigLoader::publicUrl));
        Path dataDir = resolved.get("dataDir", absoluteHome.resolve("data"), text -> path(absoluteHome, text));
        Path pluginsDir = resolved.get("pluginsDir", absoluteHome.resolve("plugins"), text -> path(absoluteHome, text));
        ShepherdConfig.Database database = new ShepherdConfig.Database(
                resolved.get("database.url", Optional.<String>empty(),
                        text -> text.isBlank() ? Optional.empty() : Optional.of(jdbcUrl(text))),
                resolved.get("database.username", "", text -> text),
                resolved.get("database.password", "", text -> text),
                resolved.get("database.poolSize", 10, text -> intInRange(text, 1, 500)));
        ShepherdConfig.Plugins plugins = new ShepherdConfig.Plugins(
                resolved.get("plugins.scanInterval", Duration.ofSeconds(2), ConfigLoader::duration),
                resolved.get("plugins.callTimeout", Duration.ofSeconds(30), ConfigLoader::duration),
                resolved.get("plugins.breaker.failures", 5, text -> intInRange(text, 1, 10_000)),
                resolved.get("plugins.breaker.coolDown", Duration.ofSeconds(30), ConfigLoader::duration),
                pluginSettings(values));
        ShepherdConfig.Commands commands = new ShepherdConfig.Commands(
                resolved.get("commands.pushRate", 200, text -> intInRange(text, 1, 100_000)),
                resolved.get("commands.expiryInterval", Duration.ofSeconds(30), ConfigLoader::duration),
                resolved.get("commands.maxAttempts", CommandService.DEFAULT_MAX_ATTEMPTS, text -> intInRange(text, 1, 1000)));
        InventoryLimits defaults = InventoryLimits.DEFAULTS;
        InventoryLimits inventory;
        try {
            inventory = new InventoryLimits(
                    resolved.get("inventory.maxKeysPerReport", defaults.maxKeysPerReport(), text -> intInRange(text, 1, 1_000_000)),
                    resolved.get("inventory.maxKeysPerDevice", defaults.maxKeysPerDevice(), text -> intInRange(text, 1, 1_000_000)),
                    resolved.get("inventory.maxKeyLength", defaults.maxKeyLength(), text -> intInRange(text, 1, InventoryLimits.KEY_COLUMN)),
                    resolved.get("inventory.maxValueLength", defaults.maxValueLength(), text -> intInRange(text, 1, InventoryLimits.VALUE_COLUMN)),
                    resolved.get("inventory.maxReportsPerMinute", defaults.maxReportsPerMinute(), text -> intInRange(text, 1, 1_000_000)));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("inventory limits: " + e.getMessage());
        }
        Optional<String> adminUser = resolved.get("bootstrapAdmin.username", Optional.<String>empty(), ConfigLoader::optionalText);
        Optional<String> adminPassword = resolved.get("bootstrapAdmin.password", Optional.<String>empty(), ConfigLoader::optionalText);
        if (adminUser.isPresent() != adminPassword.isPresent()) {
            throw new ConfigException("bootstrapAdmin.username (SHEPHERD_BOOTSTRAP_ADMIN_USERNAME or SHEPHERD_BOOTSTRAP_ADMIN_USER)"
                    + " and bootstrapAdmin.password (SHEPHERD_BOOTSTRAP_ADMIN_PASSWORD) must be set together");
        }
        Optional<ShepherdConfig.BootstrapAdmin> bootstrapAdmin = adminUser.map(user ->
                new ShepherdConfig.BootstrapAdmin(user, adminPassword.orElseThrow()));
        ShepherdConfig.Security security = new ShepherdConfig.Security(resolved.get("security.basicAuth", false, ConfigLoader::bool),
                resolved.get("security.secretsKeyFile", Optional.<Path>empty(),
                        text -> text.isBlank() ? Optional.empty() : Optional.of(path(absoluteHome, text))),
                resolved.get("security.breakGlassAdmins", Set.<String>of(), text -> text.isBlank() ? Set.of() : Set.copyOf(list(text))));
        ShepherdConfig.Node node = new ShepherdConfig.Node(resolved.get("node.name", Optional.<String>empty(),
                // Empty, as the shipped shepherd.yaml has it, means the default: the host's name.
                text -> text.isBlank() ? Optional.<String>empty() : Optional.of(nodeName(text))).orElseGet(ConfigLoader::hostName));
        ShepherdConfig.Metrics metrics = new ShepherdConfig.Metrics(
                resolved.get("metrics.port", -1, ConfigLoader::port),
                resolved.get("metrics.host", "127.0.0.1", ConfigLoader::host));
        ShepherdConfig.Retention retention = new ShepherdConfig.Retention(retentionRule(resolved, "retention.events"),
                retentionRule(resolved, "retention.commands"), retentionRule(resolved, "retention.webhookDeliveries"),
                retentionRule(resolved, "retention.audit"),
                resolved.get("retention.interval", ShepherdConfig.Retention.KEEP_EVERYTHING.interval(), ConfigLoader::duration));
        DeprovisioningPolicy deprovisioning = new DeprovisioningPolicy(
                resolved.get("directory.deprovision.action", DeprovisioningPolicy.FLAG_ONLY.action(), DeprovisioningPolicy.Action::parse),
                Duration.ofHours(resolved.get("directory.deprovision.graceHours", (int) DeprovisioningPolicy.FLAG_ONLY.grace().toHours(),
                        text -> intInRange(text, 0, 87_600))));
        ShepherdConfig.Threat threat;
        try {
            threat = new ShepherdConfig.Threat(
                    resolved.get("threat.staleAfter", ThreatService.DEFAULT_STALE_AFTER, ConfigLoader::duration),
                    resolved.get("threat.pollInterval", Optional.<Duration>empty(),
                            text -> text.isBlank() ? Optional.empty() : Optional.of(duration(text))));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        return new ShepherdConfig(absoluteHome, http, https, dataDir, pluginsDir, database, plugins, commands, inventory, bootstrapAdmin,
                security, node, metrics, retention, deprovisioning, threat);
    }

    /** The keys this loader understands, apart from the free-form {@code plugins.config.*}. */
    static final List<String> KNOWN_KEYS = List.of(
            "http.host", "http.port", "http.maxRequestBytes", "http.trustedProxies", "http.redirectToHttps",
            "https.port", "https.keystore", "https.keystorePassword", "https.hostnames", "https.publicUrl",
            "dataDir", "pluginsDir",
            "database.url", "database.username", "database.password", "database.poolSize",
            "plugins.scanInterval", "plugins.callTimeout", "plugins.breaker.failures", "plugins.breaker.coolDown",
            "commands.pushRate", "commands.expiryInterval", "commands.maxAttempts",
            "inventory.maxKeysPerReport", "inventory.maxKeysPerDevice", "inventory.maxKeyLength", "inventory.maxValueLength",
            "inventory.maxReportsPerMinute",
            "bootstrapAdmin.username", "bootstrapAdmin.password",
            "security.basicAuth", "security.secretsKeyFile", "security.breakGlassAdmins",
            "node.name", "metrics.port", "metrics.host",
            "retention.interval", "retention.events.maxAge", "retention.events.maxCount", "retention.commands.maxAge",
            "retention.commands.maxCount", "retention.webhookDeliveries.maxAge", "retention.webhookDeliveries.maxCount",
            "retention.audit.maxAge", "retention.audit.maxCount",
            "directory.deprovision.action", "directory.deprovision.graceHours",
            "threat.staleAfter", "threat.pollInterval");

    /**
     * The environment variable that overrides a key: {@code plugins.scanInterval} becomes
     * {@code SHEPHERD_PLUGINS_SCAN_INTERVAL}.
     */
    static String environmentName(String key) {
        String snake = key.replaceAll("([a-z0-9])([A-Z])", "$1_$2").replace('.', '_');
        return "SHEPHERD_" + snake.toUpperCase(Locale.ROOT);
    }

    private static JsonNode readYaml(Path file) {
        try {
            JsonNode root = new YAMLMapper().readTree(file.toFile());
            if (root == null || root.isMissingNode() || root.isNull()) {
                return new YAMLMapper().createObjectNode();
            }
            if (!root.isObject()) {
                throw new ConfigException(file + " must hold a mapping of keys to values");
            }
            return root;
        } catch (JacksonException e) {
            throw new ConfigException(file + " is not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"));
        } catch (IOException e) {
            throw new ConfigException("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static void flatten(JsonNode node, String prefix, Map<String, Value> into, String origin) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                flatten(field.getValue(), prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey(), into, origin);
            }
        } else if (node.isArray()) {
            List<String> items = new ArrayList<>();
            for (JsonNode item : node) {
                if (!item.isValueNode()) {
                    throw new ConfigException("Configuration key '" + prefix + "' in " + origin + " must be a list of plain values");
                }
                items.add(item.asText());
            }
            into.put(prefix, new Value(String.join(",", items), origin));
        } else if (!node.isNull()) {
            into.put(prefix, new Value(node.asText(), origin));
        }
    }

    private static Map<String, Map<String, String>> pluginSettings(Map<String, Value> values) {
        Map<String, Map<String, String>> settings = new TreeMap<>();
        values.forEach((key, value) -> {
            if (key.startsWith(PLUGIN_SETTINGS_PREFIX)) {
                String rest = key.substring(PLUGIN_SETTINGS_PREFIX.length());
                int dot = rest.indexOf('.');
                if (dot <= 0 || dot == rest.length() - 1) {
                    throw new ConfigException("Configuration key '" + key + "' in " + value.origin()
                            + " must have the form plugins.config.<pluginId>.<setting>");
                }
                settings.computeIfAbsent(rest.substring(0, dot), id -> new LinkedHashMap<>())
                        .put(rest.substring(dot + 1), value.text());
            }
        });
        Map<String, Map<String, String>> frozen = new LinkedHashMap<>();
        settings.forEach((id, map) -> frozen.put(id, Map.copyOf(map)));
        return frozen;
    }

    private static boolean bool(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException("must be true or false");
        };
    }

    private static int port(String text) {
        return intInRange(text, -1, 65535);
    }

    private static int intInRange(String text, int min, int max) {
        try {
            int value = Integer.parseInt(text.trim());
            if (value < min || value > max) {
                throw new IllegalArgumentException("must be between " + min + " and " + max);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be an integer between " + min + " and " + max);
        }
    }

    /** {@code <prefix>.maxAge} and {@code <prefix>.maxCount}; empty (as the shipped file has them) keeps everything. */
    private static ShepherdConfig.RetentionRule retentionRule(Values resolved, String prefix) {
        return new ShepherdConfig.RetentionRule(
                resolved.get(prefix + ".maxAge", Optional.<Duration>empty(),
                        text -> text.isBlank() ? Optional.empty() : Optional.of(duration(text))),
                resolved.get(prefix + ".maxCount", Optional.<Long>empty(),
                        text -> text.isBlank() ? Optional.empty() : Optional.of(positiveCount(text))));
    }

    private static long positiveCount(String text) {
        try {
            long value = Long.parseLong(text.trim());
            if (value <= 0) {
                throw new IllegalArgumentException("must be a positive whole number");
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be a positive whole number");
        }
    }

    private static long positiveLong(String text) {
        try {
            long value = Long.parseLong(text.trim());
            if (value <= 0) {
                throw new IllegalArgumentException("must be a positive number of bytes");
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be a positive number of bytes");
        }
    }

    static Duration duration(String text) {
        String trimmed = text.trim();
        Matcher matcher = DURATION.matcher(trimmed);
        Duration value;
        if (matcher.matches()) {
            long amount = Long.parseLong(matcher.group(1));
            value = switch (matcher.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        } else {
            try {
                value = Duration.parse(trimmed);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("must be a duration such as 500ms, 30s, 5m or PT30S");
            }
        }
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("must be a positive duration");
        }
        return value;
    }

    private static Path path(Path home, String text) {
        try {
            return home.resolve(text.trim()).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("is not a valid path: " + e.getReason());
        }
    }

    private static String jdbcUrl(String text) {
        if (!text.startsWith("jdbc:")) {
            throw new IllegalArgumentException("must be a JDBC URL starting with jdbc:");
        }
        Dialect.of(text);
        return text;
    }

    private static List<String> list(String text) {
        List<String> items = Arrays.stream(text.split(",")).map(String::trim).filter(item -> !item.isEmpty()).toList();
        if (items.isEmpty()) {
            throw new IllegalArgumentException("must name at least one value");
        }
        return items;
    }

    private static List<String> proxies(String text) {
        List<String> entries = text.isBlank() ? List.of() : list(text);
        TrustedProxies.of(entries);
        return entries;
    }

    private static Optional<String> publicUrl(String text) {
        if (text.isBlank()) {
            return Optional.empty();
        }
        String url = text.trim();
        try {
            URI uri = new URI(url);
            if (!"https".equals(uri.getScheme()) || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new IllegalArgumentException("must be an https URL without query, such as https://mdm.example.com");
            }
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("is not a URL: " + e.getMessage());
        }
        return Optional.of(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
    }

    private static String nodeName(String text) {
        String name = text.trim();
        if (!NODE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("must be 1 to 63 letters, digits, dots, dashes or underscores");
        }
        return name;
    }

    private static String host(String text) {
        if (text.isBlank()) {
            throw new IllegalArgumentException("must name an interface, such as 127.0.0.1");
        }
        return text.trim();
    }

    /** The host's name, the default node name; {@code localhost} when the host cannot tell its own name. */
    private static String hostName() {
        try {
            String name = InetAddress.getLocalHost().getHostName();
            return NODE_NAME.matcher(name).matches() ? name : "localhost";
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    private static Optional<String> optionalText(String text) {
        return text.isBlank() ? Optional.empty() : Optional.of(text);
    }

    private record Value(String text, String origin) {
    }

    private record Values(Map<String, Value> file, Map<String, String> environment) {

        /** The environment wins over the file; legacy short names are accepted where documented. */
        <T> T get(String key, T defaultValue, Function<String, T> parser) {
            Value value = fromEnvironment(key).or(() -> Optional.ofNullable(file.get(key))).orElse(null);
            if (value == null) {
                return defaultValue;
            }
            try {
                return parser.apply(value.text());
            } catch (IllegalArgumentException e) {
                String shown = key.toLowerCase(Locale.ROOT).contains("password") ? "(hidden)" : "'" + value.text() + "'";
                throw new ConfigException("Configuration key '" + key + "' " + e.getMessage() + ", got " + shown
                        + " (from " + value.origin() + ")");
            }
        }

        private Optional<Value> fromEnvironment(String key) {
            List<String> names = new ArrayList<>(List.of(environmentName(key)));
            if (key.equals("bootstrapAdmin.username")) {
                names.add("SHEPHERD_BOOTSTRAP_ADMIN_USER");
            }
            for (String name : names) {
                String text = environment.get(name);
                if (text != null) {
                    return Optional.of(new Value(text, "environment variable " + name));
                }
            }
            return Optional.empty();
        }
    }
}
