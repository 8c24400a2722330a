package dev.shepherd.threat;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.threat.VendorDevice;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Finds the managed device a vendor device is, in the order {@link VendorDevice}'s contract fixes: a vendor id recorded
 * before; the server's own device id; the serial number; the identifiers the kernel's devices carry as hardware ids,
 * then those they carry as inventory; then the name, only when exactly one managed device has it. Only managed devices
 * (enrolled or quarantined) are matched: a link to a device since retired is passed over and matching starts again.
 *
 * <p>The inventory identifiers are read from these items (the platform-neutral {@code hardware.<kind>} key, which any
 * platform plugin may write, and the keys the bundled platform plugins write today):
 * <ul>
 *   <li>{@code imei}: {@code hardware.imei}, {@code apple.IMEI}; compared as digits, in the forms vendors write
 *       (plain or Apple's spaced {@code 35 209900 176148 1})</li>
 *   <li>{@code meid}: {@code hardware.meid}, {@code apple.MEID}; compared as written, upper and lower case</li>
 *   <li>{@code wifiMac}: {@code hardware.wifiMac}, {@code apple.WiFiMAC}, {@code windows.DevDetail.Ext.WLANMACAddress},
 *       {@code chromeos.macAddress}; compared as the 12 hex digits, whatever the separators and case</li>
 *   <li>{@code entraDeviceId}: {@code hardware.entraDeviceId}, {@code entra.deviceId}; compared as written, upper and
 *       lower case</li>
 * </ul>
 * Each step matches when it finds exactly one device; a step that finds several is passed over (and named in the
 * reason the signal is kept unmatched, when no later step decides).
 */
final class DeviceMatcher {

    /** The identifier kinds the kernel's devices carry as hardware ids. */
    static final List<String> HARDWARE_ID_KINDS = List.of("udid", "enrollmentId", "windowsDeviceId", "amapiDevice", "chromeDeviceId");
    /** The identifier kinds read from inventory, with the items that carry each. */
    static final Map<String, List<String>> INVENTORY_ITEMS = Map.of(
            "imei", List.of("hardware.imei", "apple.IMEI"),
            "meid", List.of("hardware.meid", "apple.MEID"),
            "wifiMac", List.of("hardware.wifiMac", "apple.WiFiMAC", "windows.DevDetail.Ext.WLANMACAddress", "chromeos.macAddress"),
            "entraDeviceId", List.of("hardware.entraDeviceId", "entra.deviceId"));
    private static final List<String> INVENTORY_ORDER = List.of("imei", "meid", "wifiMac", "entraDeviceId");

    /** What matching found: the device and the key it was found by, or why nothing was. */
    record Match(Optional<DeviceId> device, String by) {
        static Match found(DeviceId device, String by) {
            return new Match(Optional.of(device), by);
        }

        static Match none(String reason) {
            return new Match(Optional.empty(), reason);
        }
    }

    private final ThreatStore store;

    DeviceMatcher(ThreatStore store) {
        this.store = requireNonNull(store, "store is null");
    }

    Match match(Connection connection, String connectorId, VendorDevice device) throws SQLException {
        Optional<ThreatStore.Link> link = store.link(connection, connectorId, device.vendorDeviceId());
        if (link.isPresent() && link.get().managed()) {
            return Match.found(link.get().device(), link.get().matchedBy());
        }
        List<String> ambiguous = new ArrayList<>();
        if (device.serverDeviceId().isPresent()) {
            Optional<Match> found = decide(store.managedById(connection, device.serverDeviceId().get()), "serverDeviceId", ambiguous);
            if (found.isPresent()) {
                return found.get();
            }
        }
        if (device.serialNumber().isPresent() && !device.serialNumber().get().isBlank()) {
            Optional<Match> found = decide(store.managedBySerial(connection, device.serialNumber().get().trim()), "serialNumber", ambiguous);
            if (found.isPresent()) {
                return found.get();
            }
        }
        for (String kind : HARDWARE_ID_KINDS) {
            String value = device.identifiers().get(kind);
            if (value != null && !value.isBlank()) {
                Optional<Match> found = decide(store.managedByHardwareId(connection, kind, value.trim()), kind, ambiguous);
                if (found.isPresent()) {
                    return found.get();
                }
            }
        }
        for (String kind : INVENTORY_ORDER) {
            String value = device.identifiers().get(kind);
            if (value != null && !value.isBlank()) {
                Optional<Match> found = decide(store.managedByInventory(connection, INVENTORY_ITEMS.get(kind), forms(kind, value.trim())),
                        kind, ambiguous);
                if (found.isPresent()) {
                    return found.get();
                }
            }
        }
        if (device.name().isPresent() && !device.name().get().isBlank()) {
            Optional<Match> found = decide(store.managedByName(connection, device.name().get().trim().toLowerCase(Locale.ROOT)), "name",
                    ambiguous);
            if (found.isPresent()) {
                return found.get();
            }
        }
        return Match.none(ambiguous.isEmpty() ? "matches no managed device"
                : "matches more than one managed device by " + String.join(", ", ambiguous));
    }

    private static Optional<Match> decide(Set<DeviceId> candidates, String by, List<String> ambiguous) {
        if (candidates.size() == 1) {
            return Optional.of(Match.found(candidates.iterator().next(), by));
        }
        if (candidates.size() > 1) {
            ambiguous.add(by);
        }
        return Optional.empty();
    }

    /** The forms an identifier's value may be stored in, so no SQL function need normalise the stored values. */
    static List<String> forms(String kind, String value) {
        Set<String> forms = new LinkedHashSet<>();
        forms.add(value);
        forms.add(value.toUpperCase(Locale.ROOT));
        forms.add(value.toLowerCase(Locale.ROOT));
        if (kind.equals("imei")) {
            String digits = value.replaceAll("[^0-9]", "");
            forms.add(digits);
            if (digits.length() == 15) {
                forms.add(digits.substring(0, 2) + " " + digits.substring(2, 8) + " " + digits.substring(8, 14) + " " + digits.substring(14));
            }
        } else if (kind.equals("wifiMac")) {
            String hex = value.replaceAll("[^0-9A-Fa-f]", "");
            if (hex.length() == 12) {
                for (String cased : List.of(hex.toLowerCase(Locale.ROOT), hex.toUpperCase(Locale.ROOT))) {
                    forms.add(cased);
                    forms.add(String.join(":", pairs(cased)));
                    forms.add(String.join("-", pairs(cased)));
                }
            }
        }
        return List.copyOf(forms);
    }

    private static List<String> pairs(String hex) {
        List<String> pairs = new ArrayList<>();
        for (int i = 0; i < hex.length(); i += 2) {
            pairs.add(hex.substring(i, i + 2));
        }
        return pairs;
    }
}
