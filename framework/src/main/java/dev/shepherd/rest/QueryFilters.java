package dev.shepherd.rest;

import dev.shepherd.api.device.ComplianceState;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.device.DeviceFilter;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.http.ApiException;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** A device filter from the device search's parameter names, for targets given in a JSON body. */
final class QueryFilters {

    private static final Set<String> KNOWN = Set.of("platform", "status", "ownership", "compliance", "model", "name", "serial",
            "user", "tag", "group", "osAtLeast", "osBelow");

    private QueryFilters() {
    }

    /** @param scope the caller's scope, which the filter never reaches beyond */
    static DeviceFilter filter(Map<String, String> query, DeviceScope scope) {
        DeviceFilter.Builder filter = DeviceFilter.builder().scope(scope);
        for (Map.Entry<String, String> entry : query.entrySet()) {
            String value = entry.getValue();
            try {
                switch (entry.getKey()) {
                    case "platform" -> filter.platform(new Platform(value));
                    case "status" -> filter.status(DeviceStatus.valueOf(value.toUpperCase(Locale.ROOT)));
                    case "ownership" -> filter.ownership(Ownership.valueOf(value.toUpperCase(Locale.ROOT)));
                    case "compliance" -> filter.compliance(ComplianceState.valueOf(value.toUpperCase(Locale.ROOT)));
                    case "model" -> filter.model(value);
                    case "name" -> filter.namePrefix(value);
                    case "serial" -> filter.serialNumber(value);
                    case "user" -> filter.userId(value);
                    case "tag" -> filter.tag(value);
                    case "group" -> filter.groupId(value);
                    case "osAtLeast" -> filter.osVersionAtLeast(value);
                    case "osBelow" -> filter.osVersionBelow(value);
                    default -> throw ApiException.badRequest("unknown query key '" + entry.getKey() + "'; known: " + KNOWN);
                }
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("query." + entry.getKey() + ": '" + value + "' is not a valid value");
            }
        }
        return filter.build();
    }
}
