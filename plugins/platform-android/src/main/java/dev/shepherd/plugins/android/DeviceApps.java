package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandBus;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.device.DeviceId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The apps the kernel's catalog installs on, updates on and removes from each Android device, carried out the only way
 * the Android Management API installs apps: through the device's policy ({@code applications[]}). {@code INSTALL_APP}
 * and {@code UPDATE_APP} (canonical parameters, {@link AppInstallation}) make the package {@code FORCE_INSTALLED}
 * (installed and kept installed; the user cannot remove it) with the assignment's managed configuration, and an update
 * sets {@code minimumVersionCode} to the version's code, which makes Play update the app to at least it;
 * {@code REMOVE_APP} makes it {@code BLOCKED}, which uninstalls it and keeps it off the device (merely dropping it from
 * the policy uninstalls it only in Play's default allowlist mode). An {@code INSTALL_APP} that offers the app
 * ({@link AppInstallation#OFFER}, an AVAILABLE assignment) makes it {@code AVAILABLE}: the user installs it from
 * managed Play, or not. The entries are kept per device in the plugin's
 * storage ({@code apps/<device>}) and merged into the device's compiled policy by {@link DevicePolicies}.
 *
 * <p>A command is answered once the device says so in its status report, not when Google accepts the policy (except
 * an offer, which is carried out once the policy offers the app: {@link Put#offered()}): an install or update is acknowledged when {@code applicationReports} lists the package (at the wanted version code),
 * a removal when it no longer does, and either fails with the device's reason when {@code nonComplianceDetails} names
 * the package with a failure other than one in progress (Google's refusal of the policy fails it at once).
 */
@Singleton
public final class DeviceApps {

    /** What catalog installs look like in the policy. */
    static final String FORCE_INSTALLED = "FORCE_INSTALLED";
    static final String AVAILABLE = "AVAILABLE";
    static final String BLOCKED = "BLOCKED";
    /** The installation option the managed Google Play store names the version's code in. */
    static final String VERSION_CODE = "versionCode";
    /** An installation option asking for the app to be offered rather than installed ({@code AVAILABLE}). */
    static final String INSTALL_TYPE = "installType";
    /** AMAPI: "At most 20 apps may specify a minimum version code per policy" ({@code ApplicationPolicy.minimumVersionCode}). */
    static final int MAX_MINIMUM_VERSION_CODES = 20;
    static final Set<CommandType> APP_COMMANDS = Set.of(CommandType.INSTALL_APP, CommandType.UPDATE_APP, CommandType.REMOVE_APP);
    private static final Pattern PACKAGE_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*(\\.[A-Za-z][A-Za-z0-9_]*)+");
    private static final String APPS_PREFIX = "apps/";
    private static final String PENDING_PREFIX = "app-command/";

    /** What an app command does to the device's policy. */
    public sealed interface Change {
    }

    /** @param packageName the app; @param entry its {@code ApplicationPolicy}; @param versionCode the version code it waits for */
    public record Put(String packageName, ObjectNode entry, OptionalLong versionCode) implements Change {
        public Put {
            requireNonNull(packageName, "packageName is null");
            requireNonNull(entry, "entry is null");
            requireNonNull(versionCode, "versionCode is null");
        }

        /**
         * @return whether the entry only offers the app ({@code AVAILABLE}): nothing happens on the device until its user
         *         installs it, so the command is done once Google accepted the policy, with no status report to wait for
         */
        public boolean offered() {
            return AVAILABLE.equals(entry.path("installType").asText());
        }
    }

    /** @param reason why Android cannot carry the command out */
    public record Refused(String reason) implements Change {
        public Refused {
            requireNonNull(reason, "reason is null");
        }
    }

    private final PluginStorage storage;
    private final CommandBus commands;
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    public DeviceApps(PluginStorage storage, CommandBus commands) {
        this.storage = requireNonNull(storage, "storage is null");
        this.commands = requireNonNull(commands, "commands is null");
    }

    /**
     * The policy entry an app command makes, from its canonical parameters.
     *
     * @param type {@code INSTALL_APP}, {@code UPDATE_APP} or {@code REMOVE_APP}
     * @param parameters the command's parameters
     */
    public Change change(CommandType type, Map<String, Object> parameters) {
        requireNonNull(parameters, "parameters is null");
        if (type == CommandType.REMOVE_APP) {
            if (!(parameters.get(AppInstallation.IDENTIFIER) instanceof String packageName) || !isPackageName(packageName)) {
                return new Refused("REMOVE_APP on Android needs the app's package name as 'identifier'");
            }
            ObjectNode entry = json.createObjectNode().put("packageName", packageName).put("installType", BLOCKED);
            return new Put(packageName, entry, OptionalLong.empty());
        }
        Optional<AppInstallation> installation;
        try {
            installation = AppInstallation.fromParameters(parameters);
        } catch (IllegalArgumentException e) {
            return new Refused(e.getMessage());
        }
        if (installation.isEmpty()) {
            return new Refused(type + " on Android needs the catalog's parameters: identifier, source 'store' and storeAppId (a package name)");
        }
        if (!(installation.get().source() instanceof AppInstallation.FromStore store)) {
            return new Refused("Android installs apps from managed Google Play only; a " + installation.get().source().name()
                    + " source cannot be installed through the Android Management API");
        }
        String packageName = store.storeAppId();
        if (!isPackageName(packageName) || !packageName.equals(installation.get().identifier())) {
            return new Refused("an Android app is named by its package name, both as storeAppId and identifier: " + packageName);
        }
        Map<String, Object> options = installation.get().options();
        Object offer = parameters.get(AppInstallation.OFFER);
        if (offer != null && !(offer instanceof Boolean)) {
            return new Refused("the parameter offer must be true or false");
        }
        String installType = FORCE_INSTALLED;
        if (Boolean.TRUE.equals(offer)) {
            if (type != CommandType.INSTALL_APP) {
                return new Refused("only INSTALL_APP offers an app; " + type + " installs it");
            }
            installType = AVAILABLE; // the assignment's intent outranks the store's option
        } else if (options.containsKey(INSTALL_TYPE)) {
            if (!AVAILABLE.equals(options.get(INSTALL_TYPE)) && !FORCE_INSTALLED.equals(options.get(INSTALL_TYPE))) {
                return new Refused("the option installType must be FORCE_INSTALLED or AVAILABLE");
            }
            installType = (String) options.get(INSTALL_TYPE);
        }
        ObjectNode entry = json.createObjectNode().put("packageName", packageName).put("installType", installType);
        OptionalLong versionCode = OptionalLong.empty();
        if (options.get(VERSION_CODE) != null) {
            Object code = options.get(VERSION_CODE);
            if (!(code instanceof Number number) || number.longValue() < 1 || number.longValue() > Integer.MAX_VALUE
                    || number.doubleValue() != Math.rint(number.doubleValue())) {
                return new Refused("the option versionCode must be a positive whole number (an int32, as AMAPI's minimumVersionCode)");
            }
            versionCode = OptionalLong.of(number.longValue());
            if (type == CommandType.UPDATE_APP) {
                // Play updates a FORCE_INSTALLED app at its own pace; a minimum version code makes the device update now.
                entry.put("minimumVersionCode", number.intValue());
            }
        }
        Object configuration = parameters.get(AppInstallation.CONFIGURATION);
        if (configuration != null) {
            if (!(configuration instanceof Map<?, ?>)) {
                return new Refused("the managed configuration must be a JSON object");
            }
            entry.set("managedConfiguration", json.valueToTree(configuration));
        }
        return new Put(packageName, entry, versionCode);
    }

    /** @return the device's catalog apps, as policy entries by package name */
    public Map<String, ObjectNode> of(DeviceId device) {
        Map<String, ObjectNode> apps = new LinkedHashMap<>();
        storage.get(APPS_PREFIX + device).map(this::tree).ifPresent(stored ->
                stored.fields().forEachRemaining(field -> apps.put(field.getKey(), (ObjectNode) field.getValue())));
        return apps;
    }

    /**
     * Records the device's catalog apps; {@code changed} is the newest entry. AMAPI takes a minimum version code for
     * at most {@value #MAX_MINIMUM_VERSION_CODES} apps per policy, so beyond that the oldest updates' minimums (long
     * reached, as a rule) are dropped.
     */
    public void record(DeviceId device, Map<String, ObjectNode> apps, String changed) {
        Map<String, ObjectNode> ordered = new LinkedHashMap<>();
        apps.forEach((packageName, entry) -> ordered.put(packageName, entry.deepCopy())); // the caller's entries stay as they were
        ObjectNode newest = ordered.remove(changed);
        if (newest != null) {
            ordered.put(changed, newest);
        }
        long pinned = ordered.values().stream().filter(entry -> entry.has("minimumVersionCode")).count();
        for (ObjectNode entry : ordered.values()) {
            if (pinned <= MAX_MINIMUM_VERSION_CODES) {
                break;
            }
            if (entry.remove("minimumVersionCode") != null) {
                pinned--;
            }
        }
        ObjectNode stored = json.createObjectNode();
        ordered.forEach(stored::set);
        storage.put(APPS_PREFIX + device, stored.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The compiled policy with the device's catalog apps merged into {@code applications[]}: a catalog entry takes the
     * place of a policy setting's entry for the same package (an admin's explicit install or removal of this app on
     * this device), keeping the setting's other fields (permission policy, update mode) and its managed configuration
     * unless the assignment gave one.
     */
    public static ObjectNode merge(ObjectNode policy, Map<String, ObjectNode> apps) {
        if (apps.isEmpty()) {
            return policy;
        }
        ObjectNode merged = policy.deepCopy();
        Map<String, ObjectNode> byPackage = new LinkedHashMap<>();
        for (JsonNode entry : merged.path("applications")) {
            byPackage.put(entry.path("packageName").asText(), (ObjectNode) entry.deepCopy());
        }
        apps.forEach((packageName, entry) -> {
            ObjectNode target = byPackage.computeIfAbsent(packageName, name -> entry.objectNode().put("packageName", name));
            if (BLOCKED.equals(entry.path("installType").asText())) {
                target.remove(List.of("minimumVersionCode", "managedConfiguration"));
            }
            if (!entry.has("minimumVersionCode")) {
                target.remove("minimumVersionCode");
            }
            target.setAll(entry);
        });
        ArrayNode applications = merged.putArray("applications");
        byPackage.keySet().stream().sorted().forEach(packageName -> applications.add(byPackage.get(packageName)));
        return merged;
    }

    /** Remembers that a command waits for the device's status report. */
    public void awaitReport(Command command, Put put) {
        ObjectNode pending = json.createObjectNode().put("device", command.deviceId().toString()).put("type", command.type().name())
                .put("packageName", put.packageName());
        put.versionCode().ifPresent(code -> pending.put(VERSION_CODE, code));
        storage.put(PENDING_PREFIX + command.deviceId() + "/" + command.id(), pending.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Forgets a device Google deleted: its apps and the commands that waited for its reports. */
    public void forgetDevice(DeviceId device) {
        storage.delete(APPS_PREFIX + device);
        storage.keys(PENDING_PREFIX + device + "/").forEach(storage::delete);
    }

    /** Forgets that a command waits for the device's status report. */
    public void forget(Command command) {
        storage.delete(PENDING_PREFIX + command.deviceId() + "/" + command.id());
    }

    /** @return whether the command already waits for the device's status report */
    public boolean awaitingReport(Command command) {
        return storage.get(PENDING_PREFIX + command.deviceId() + "/" + command.id()).isPresent();
    }

    /**
     * Answers the device's app commands its status report settles.
     *
     * @param device the device
     * @param report the AMAPI {@code Device} as Google reported it
     */
    public void reported(DeviceId device, JsonNode report) {
        if (!report.path("applicationReports").isArray()) {
            return; // the report says nothing about apps
        }
        Map<String, JsonNode> installed = new LinkedHashMap<>();
        for (JsonNode app : report.path("applicationReports")) {
            if (!"REMOVED".equals(app.path("state").asText(""))) {
                installed.put(app.path("packageName").asText(""), app);
            }
        }
        for (String key : storage.keys(PENDING_PREFIX + device + "/")) {
            Optional<JsonNode> pending = storage.get(key).map(this::tree);
            if (pending.isEmpty()) {
                continue;
            }
            UUID commandId = UUID.fromString(key.substring(key.lastIndexOf('/') + 1));
            String packageName = pending.get().path("packageName").asText();
            boolean removal = CommandType.REMOVE_APP.name().equals(pending.get().path("type").asText());
            JsonNode app = installed.get(packageName);
            Optional<CommandResult> result;
            if (removal && app == null) {
                result = Optional.of(new CommandResult(commandId, CommandState.ACKNOWLEDGED, Map.of("packageName", packageName), Optional.empty()));
            } else if (!removal && app != null && app.path("versionCode").asLong(0) >= pending.get().path(VERSION_CODE).asLong(0)) {
                Map<String, Object> response = new LinkedHashMap<>();
                response.put("packageName", packageName);
                response.put("versionName", app.path("versionName").asText(""));
                response.put("versionCode", app.path("versionCode").asLong(0));
                result = Optional.of(new CommandResult(commandId, CommandState.ACKNOWLEDGED, response, Optional.empty()));
            } else {
                result = failure(report, packageName).map(reason ->
                        new CommandResult(commandId, CommandState.FAILED, Map.of("packageName", packageName), Optional.of(reason)));
            }
            if (result.isPresent()) {
                commands.report(device, result.get());
                storage.delete(key);
            }
        }
    }

    /** @return the device's reason for not carrying out what the policy asks of the app, unless it is still under way */
    static Optional<String> failure(JsonNode report, String packageName) {
        List<String> reasons = new ArrayList<>();
        for (Iterator<JsonNode> details = report.path("nonComplianceDetails").elements(); details.hasNext(); ) {
            JsonNode detail = details.next();
            if (packageName.equals(detail.path("packageName").asText("")) && !DevicePolicies.pending(detail)) {
                reasons.add(DevicePolicies.describe(detail));
            }
        }
        return reasons.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", reasons));
    }

    private static boolean isPackageName(String text) {
        return text.length() <= 255 && PACKAGE_NAME.matcher(text).matches();
    }

    private JsonNode tree(byte[] bytes) {
        try {
            return json.readTree(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
