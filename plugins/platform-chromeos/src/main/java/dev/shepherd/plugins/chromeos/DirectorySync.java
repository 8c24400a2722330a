package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.group.GroupDirectory;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Platform;
import dev.shepherd.google.GoogleException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * Brings Google's ChromeOS devices into the kernel's registry: {@code orgunits.list} for the org units, then
 * {@code chromeosdevices.list} page by page. A device first seen is enrolled (method {@code PROGRAM}: Google's
 * enrollment vouches for it), every device's facts are recorded as inventory, and its {@code lastSync} as its check-in.
 * A device Google lists as deprovisioned is recorded as having left management.
 */
@Singleton
public final class DirectorySync {

    /** The hardware identifier kind of Google's device id. */
    public static final String HARDWARE_ID = "chromeDeviceId";
    private static final Logger log = LoggerFactory.getLogger(DirectorySync.class);

    /**
     * How a sync went.
     *
     * @param at when it finished
     * @param devices devices Google listed
     * @param enrolled of those, devices first seen
     * @param orgUnits org units known
     * @param skipped devices not recorded, with the reason
     */
    public record Report(Instant at, int devices, int enrolled, int orgUnits, List<String> skipped) {
        /** Validates and copies every part. */
        public Report {
            requireNonNull(at, "at is null");
            skipped = List.copyOf(requireNonNull(skipped, "skipped is null"));
        }
    }

    private final GoogleApi google;
    private final DeviceRegistry registry;
    private final OrgUnits orgUnits;
    private final GroupDirectory groups;

    @Inject
    public DirectorySync(GoogleApi google, DeviceRegistry registry, OrgUnits orgUnits, GroupDirectory groups) {
        this.google = requireNonNull(google, "google is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.orgUnits = requireNonNull(orgUnits, "orgUnits is null");
        this.groups = requireNonNull(groups, "groups is null");
    }

    /** The Shepherd group mirroring an org unit, so admins can assign policies and rules to it. */
    static String groupName(String orgUnitPath) {
        return "ChromeOS " + orgUnitPath;
    }

    /**
     * Syncs every device and org unit.
     *
     * @return how it went
     * @throws GoogleException when Google refused or kept failing; nothing of the sync is kept then but the devices
     *         already recorded
     * @throws InterruptedException when the plugin is stopping
     */
    public Report sync() throws GoogleException, InterruptedException {
        Map<String, OrgUnits.OrgUnit> units = new TreeMap<>();
        JsonNode listed = google.call("GET", directory("/orgunits?type=all"), null);
        for (JsonNode unit : listed.path("organizationUnits")) {
            String path = unit.path("orgUnitPath").asText("");
            String id = unit.path("orgUnitId").asText("");
            if (!path.isEmpty() && !id.isEmpty()) {
                units.put(path, new OrgUnits.OrgUnit(path, bareId(id)));
            }
        }
        Map<DeviceId, String> devices = new HashMap<>();
        List<String> skipped = new ArrayList<>();
        int count = 0;
        int enrolled = 0;
        Optional<String> pageToken = Optional.empty();
        do {
            JsonNode page = google.call("GET", directory("/devices/chromeos?projection=FULL&maxResults=200"
                    + pageToken.map(token -> "&pageToken=" + URLEncoder.encode(token, StandardCharsets.UTF_8)).orElse("")), null);
            for (JsonNode chromebook : page.path("chromeosdevices")) {
                count++;
                String googleId = chromebook.path("deviceId").asText("");
                if (googleId.isEmpty()) {
                    skipped.add("a device without a deviceId");
                    continue;
                }
                String path = chromebook.path("orgUnitPath").asText("/");
                // The root org unit is not in orgunits.list; the devices in it carry its id.
                if (!units.containsKey(path) && chromebook.hasNonNull("orgUnitId")) {
                    units.put(path, new OrgUnits.OrgUnit(path, bareId(chromebook.get("orgUnitId").asText())));
                }
                Optional<Device> known = registry.findByHardwareId(Platform.CHROMEOS, HARDWARE_ID, googleId);
                String status = chromebook.path("status").asText("");
                if (status.equals("DEPROVISIONED")) {
                    known.filter(device -> device.status() == DeviceStatus.ENROLLED || device.status() == DeviceStatus.QUARANTINED)
                            .ifPresent(device -> registry.recordUnenrolled(device.id(), "deprovisioned in the Google Admin console"));
                    continue;
                }
                if (known.isPresent() && (known.get().status() == DeviceStatus.RETIRED || known.get().status() == DeviceStatus.WIPED)) {
                    // Its management has ended; what Google still says of it changes nothing here.
                    continue;
                }
                Device device;
                if (known.isPresent()) {
                    device = known.get();
                } else {
                    device = registry.enroll(new EnrollmentClaim(Optional.empty(), Platform.CHROMEOS, EnrollmentMethod.PROGRAM,
                            Map.of(HARDWARE_ID, googleId), chromebook.path("serialNumber").asText(""), chromebook.path("model").asText(""),
                            chromebook.path("osVersion").asText(""), name(chromebook)));
                    enrolled++;
                }
                registry.recordInventory(device.id(), inventory(chromebook));
                lastSync(chromebook).ifPresent(at -> registry.recordCheckIn(device.id(), at));
                if (units.containsKey(path)) {
                    devices.put(device.id(), path);
                } else {
                    skipped.add(googleId + ": its org unit " + path + " is not known to Google's org unit list");
                }
            }
            pageToken = Optional.of(page.path("nextPageToken").asText("")).filter(token -> !token.isEmpty());
        } while (pageToken.isPresent());
        orgUnits.replace(new OrgUnits.Snapshot(units, devices));
        Map<String, String> groupIds = new HashMap<>();
        for (String path : units.keySet()) {
            try {
                groupIds.put(path, groups.ensureGroup(groupName(path), "Chromebooks in the Google organisational unit " + path
                        + ", kept in step by the ChromeOS plugin"));
            } catch (IllegalArgumentException e) {
                skipped.add("org unit " + path + " has no Shepherd group: " + e.getMessage());
            }
        }
        devices.forEach((device, path) -> groups.setGroups(device, groupIds.containsKey(path) ? Set.of(groupIds.get(path)) : Set.of()));
        Report report = new Report(Instant.now(), count, enrolled, units.size(), skipped);
        log.info("Synced {} ChromeOS devices ({} new) in {} org units", count, enrolled, units.size());
        return report;
    }

    /**
     * Re-reads one device ({@code chromeosdevices.get}), for {@code REFRESH_INVENTORY}.
     *
     * @param device the device
     * @param googleId Google's id of it
     * @throws GoogleException when Google refused or kept failing
     * @throws InterruptedException when the plugin is stopping
     */
    public void refresh(DeviceId device, String googleId) throws GoogleException, InterruptedException {
        JsonNode chromebook = google.call("GET", directory("/devices/chromeos/" + URLEncoder.encode(googleId, StandardCharsets.UTF_8)
                + "?projection=FULL"), null);
        registry.recordInventory(device, inventory(chromebook));
        lastSync(chromebook).ifPresent(at -> registry.recordCheckIn(device, at));
    }

    /** @return a Directory API URL below the customer */
    URI directory(String below) {
        ChromeOsSettings settings = google.settings();
        return URI.create(settings.directoryUrl() + "/admin/directory/v1/customer/" + settings.customerId() + below);
    }

    static Map<String, String> inventory(JsonNode chromebook) {
        Map<String, String> facts = new LinkedHashMap<>();
        put(facts, "os.version", chromebook.path("osVersion"));
        put(facts, "model", chromebook.path("model"));
        put(facts, "serial.number", chromebook.path("serialNumber"));
        facts.put("device.name", name(chromebook));
        put(facts, "chromeos.status", chromebook.path("status"));
        put(facts, "chromeos.orgUnitPath", chromebook.path("orgUnitPath"));
        put(facts, "chromeos.lastSync", chromebook.path("lastSync"));
        put(facts, "chromeos.platformVersion", chromebook.path("platformVersion"));
        put(facts, "chromeos.firmwareVersion", chromebook.path("firmwareVersion"));
        put(facts, "chromeos.annotatedAssetId", chromebook.path("annotatedAssetId"));
        put(facts, "chromeos.annotatedLocation", chromebook.path("annotatedLocation"));
        put(facts, "chromeos.macAddress", chromebook.path("macAddress"));
        put(facts, "chromeos.bootMode", chromebook.path("bootMode"));
        List<String> users = new ArrayList<>();
        for (JsonNode user : chromebook.path("recentUsers")) {
            users.add(user.path("email").asText(user.path("type").asText("")));
        }
        if (!users.isEmpty()) {
            facts.put("chromeos.recentUsers", String.join(",", users));
        }
        return facts;
    }

    private static void put(Map<String, String> facts, String key, JsonNode value) {
        if (value.isValueNode() && !value.asText().isEmpty()) {
            facts.put(key, value.asText());
        }
    }

    private static String name(JsonNode chromebook) {
        String asset = chromebook.path("annotatedAssetId").asText("");
        return !asset.isEmpty() ? asset : "Chromebook " + chromebook.path("serialNumber").asText(chromebook.path("deviceId").asText(""));
    }

    private static Optional<Instant> lastSync(JsonNode chromebook) {
        try {
            return chromebook.hasNonNull("lastSync") ? Optional.of(Instant.parse(chromebook.get("lastSync").asText())) : Optional.empty();
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static String bareId(String id) {
        return id.startsWith("id:") ? id.substring(3) : id;
    }
}
