package dev.shepherd.apple;

import com.dd.plist.NSData;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSString;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.apple.DeclarativeManagement.Declaration;
import dev.shepherd.apple.DeclarativeManagement.DeclarationStatus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * The declarations each device is served for its settings, and the way between kernel commands, Apple's
 * {@code DeclarativeManagement} command and the device's status reports. Kept in the plugin's storage
 * ({@code ddm/<udid>/<setting>}), so they survive restarts and upgrades.
 *
 * <p>Settings delivered as declarations ({@link SettingDelivery}) arrive as {@code INSTALL_PROFILE} and
 * {@code REMOVE_PROFILE} like any other. For those, the device's declarations are stored or dropped and the device is
 * sent Apple's {@code DeclarativeManagement} command, with the new sync tokens, under the kernel command's UUID, so
 * that it syncs now rather than whenever it next would.
 *
 * <p>The kernel marks the setting {@code INSTALLED} when the device acknowledges that command, which means only that
 * the device will sync. Its status report on the declarations ({@code management.declarations}) then says whether
 * they apply: active and valid is {@code INSTALLED}; invalid, or inactive for a reason, is {@code FAILED} with the
 * device's reasons. A device may report before it acknowledges, so the last report is kept
 * ({@code ddm-status/<udid>}) and applied again after each acknowledgement, lest the acknowledgement hide a failure.
 */
public final class DeviceDeclarations {

    /** Where a setting's state goes: the kernel's policy service, for one device. */
    @FunctionalInterface
    public interface SettingReports {
        void report(String settingKey, SettingState state, Optional<String> reason);
    }

    /** One setting's declarations as stored. */
    record StoredSetting(String settingKey, List<Declaration> declarations) {
        StoredSetting {
            requireNonNull(settingKey, "settingKey is null");
            declarations = List.copyOf(declarations);
        }
    }

    private static final String SETTINGS = "ddm/";
    private static final String STATUS = "ddm-status/";

    private final PluginStorage storage;
    private final DeclarativeManagement declarative;
    private final SettingDelivery delivery;
    private final ObjectMapper json = new ObjectMapper();

    public DeviceDeclarations(PluginStorage storage, DeclarativeManagement declarative, SettingDelivery delivery) {
        this.storage = requireNonNull(storage, "storage is null");
        this.declarative = requireNonNull(declarative, "declarative is null");
        this.delivery = requireNonNull(delivery, "delivery is null");
    }

    /** @return the device's settings' declarations, by setting key */
    public Map<String, List<Declaration>> settings(String udid) {
        Map<String, List<Declaration>> settings = new LinkedHashMap<>();
        for (String key : storage.keys(SETTINGS + udid + "/")) {
            storage.get(key).map(bytes -> read(bytes, StoredSetting.class))
                    .ifPresent(stored -> settings.put(stored.settingKey(), stored.declarations()));
        }
        return settings;
    }

    /** @return everything the device is served: the status subscription and its settings' declarations */
    public List<Declaration> served(String udid) {
        return declarative.served(settings(udid).values().stream().flatMap(List::stream).toList());
    }

    /**
     * Stores or drops a setting's declarations when the command installs or removes a setting delivered as
     * declarations.
     *
     * @return Apple's {@code DeclarativeManagement} command, under the kernel command's UUID; empty for any other command
     * @throws SettingProfiles.UnsupportedSettingException when the setting cannot be declared on the OS
     */
    public Optional<NSDictionary> toCommand(Command command, String udid, SettingProfiles.Os os) {
        Map<String, Object> parameters = command.parameters();
        if (!(parameters.get("settingKey") instanceof String settingKey)) {
            return Optional.empty();
        }
        String key = SETTINGS + udid + "/" + SettingProfiles.identifier(settingKey);
        if (command.type() == CommandType.INSTALL_PROFILE && parameters.get("settingType") instanceof String type
                && delivery.declarative(type) && parameters.get("value") instanceof Map<?, ?> value) {
            @SuppressWarnings("unchecked")
            Map<String, Object> settingValue = (Map<String, Object>) value;
            List<Declaration> declarations = SettingDeclarations.compile(settingKey, type, settingValue, os);
            storage.put(key, write(new StoredSetting(settingKey, declarations)));
        } else if (command.type() != CommandType.REMOVE_PROFILE || !storage.delete(key)) {
            // Removal is decided by what the device holds, not by today's delivery choice, which may have changed.
            return Optional.empty();
        }
        NSDictionary body = new NSDictionary();
        body.put("RequestType", "DeclarativeManagement");
        body.put("Data", new NSData(declarative.tokens(served(udid))));
        NSDictionary envelope = new NSDictionary();
        envelope.put("CommandUUID", new NSString(command.id().toString()));
        envelope.put("Command", body);
        return Optional.of(envelope);
    }

    /**
     * Answers one DeclarativeManagement check-in for the device; a status report on its declarations becomes its
     * settings' states.
     */
    public DeclarativeManagement.Answer handle(String udid, String endpoint, Optional<byte[]> data, Consumer<Map<String, String>> inventory,
                                               SettingReports reports) {
        return declarative.handle(endpoint, data, served(udid), inventory, statuses -> {
            storage.put(STATUS + udid, write(statuses));
            report(udid, statuses, reports);
        });
    }

    /** Applies the device's last status report again, after an acknowledgement may have overwritten its verdict. */
    public void reapply(String udid, SettingReports reports) {
        storage.get(STATUS + udid).ifPresent(bytes -> report(udid, read(bytes, new TypeReference<List<DeclarationStatus>>() { }), reports));
    }

    /** Forgets everything about a device that left. */
    public void forget(String udid) {
        storage.keys(SETTINGS + udid + "/").forEach(storage::delete);
        storage.delete(STATUS + udid);
    }

    private void report(String udid, List<DeclarationStatus> statuses, SettingReports reports) {
        Map<String, DeclarationStatus> byIdentifier = new LinkedHashMap<>();
        statuses.forEach(status -> byIdentifier.put(status.identifier(), status));
        settings(udid).forEach((settingKey, declarations) -> declarative.outcome(declarations, byIdentifier)
                .ifPresent(outcome -> reports.report(settingKey, outcome.state(), outcome.reason())));
    }

    private byte[] write(Object value) {
        try {
            return json.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write declarations", e);
        }
    }

    private <T> T read(byte[] bytes, Class<T> type) {
        try {
            return json.readValue(bytes, type);
        } catch (IOException e) {
            throw new UncheckedIOException("stored declarations are unreadable", e);
        }
    }

    private <T> T read(byte[] bytes, TypeReference<T> type) {
        try {
            return json.readValue(bytes, type);
        } catch (IOException e) {
            throw new UncheckedIOException("stored declaration status is unreadable", e);
        }
    }
}
