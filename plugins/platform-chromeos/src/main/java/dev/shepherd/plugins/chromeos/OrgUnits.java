package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.device.DeviceId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * Which Google organizational unit each synced device is in. The plugin API gives plugins no way to create or fill
 * kernel groups, so the mapping lives here (in the plugin's storage, as one document rewritten by each sync) and is
 * what policies are applied through: a setting reaches a device by being set on its org unit.
 */
@Singleton
public final class OrgUnits {

    static final String STORAGE_KEY = "org-units";

    /**
     * An organizational unit.
     *
     * @param path its path, such as {@code /Sales/Berlin}
     * @param id Google's id without the {@code id:} prefix, as the Chrome Policy API's {@code orgunits/{id}} wants it
     */
    public record OrgUnit(String path, String id) {
        /** Validates every part. */
        public OrgUnit {
            requireNonNull(path, "path is null");
            requireNonNull(id, "id is null");
        }

        /** @return the Chrome Policy API's target resource */
        public String targetResource() {
            return "orgunits/" + id;
        }
    }

    /**
     * The mapping at one moment.
     *
     * @param units org units by path
     * @param devices each synced device's org unit path
     */
    public record Snapshot(Map<String, OrgUnit> units, Map<DeviceId, String> devices) {
        /** Copies every part. */
        public Snapshot {
            units = Map.copyOf(requireNonNull(units, "units is null"));
            devices = Map.copyOf(requireNonNull(devices, "devices is null"));
        }

        /** @return the devices in an org unit, in a stable order */
        public List<DeviceId> members(String path) {
            List<DeviceId> members = new ArrayList<>();
            devices.forEach((device, unit) -> {
                if (unit.equals(path)) {
                    members.add(device);
                }
            });
            members.sort((a, b) -> a.value().compareTo(b.value()));
            return members;
        }

        /** @return a device's org unit, if it was synced */
        public Optional<OrgUnit> of(DeviceId device) {
            return Optional.ofNullable(devices.get(device)).map(units::get);
        }
    }

    private final PluginStorage storage;
    private final ObjectMapper json = new ObjectMapper();
    private volatile Snapshot snapshot;

    @Inject
    public OrgUnits(PluginStorage storage) {
        this.storage = requireNonNull(storage, "storage is null");
        this.snapshot = storage.get(STORAGE_KEY).map(this::read).orElse(new Snapshot(Map.of(), Map.of()));
    }

    /** @return the mapping as the last sync left it */
    public Snapshot current() {
        return snapshot;
    }

    /** Replaces the mapping with a sync's. */
    public void replace(Snapshot next) {
        requireNonNull(next, "next is null");
        ObjectNode root = json.createObjectNode();
        ObjectNode units = root.putObject("units");
        new TreeMap<>(next.units()).forEach((path, unit) -> units.put(path, unit.id()));
        ObjectNode devices = root.putObject("devices");
        next.devices().forEach((device, path) -> devices.put(device.toString(), path));
        try {
            storage.put(STORAGE_KEY, json.writeValueAsBytes(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        snapshot = next;
    }

    private Snapshot read(byte[] stored) {
        try {
            JsonNode root = json.readTree(stored);
            Map<String, OrgUnit> units = new TreeMap<>();
            root.path("units").fields().forEachRemaining(entry -> units.put(entry.getKey(), new OrgUnit(entry.getKey(), entry.getValue().asText())));
            Map<DeviceId, String> devices = new HashMap<>();
            root.path("devices").fields().forEachRemaining(entry -> devices.put(DeviceId.parse(entry.getKey()), entry.getValue().asText()));
            return new Snapshot(units, devices);
        } catch (IOException e) {
            throw new UncheckedIOException("the stored org unit mapping is not readable", e);
        }
    }
}
