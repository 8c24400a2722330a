package dev.shepherd.compliance;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.threat.ThreatLevel;
import dev.shepherd.device.OsVersion;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The kinds of compliance rule and how each judges a device from its record and reported inventory.
 *
 * <p>Platform plugins report the facts as inventory items: {@code passcode.present} and {@code passcode.compliant},
 * {@code storage.encrypted}, {@code security.jailbroken} ({@code true} when jailbroken or rooted),
 * and {@code apps.reported} with one
 * {@code app.<identifier>} item per installed app. The app rules judge the apps as the fleet app inventory holds them
 * (the catalog's {@code device_app_inventory}, which {@code /api/v1/app-inventory} searches), once the device has
 * reported a complete list. The threat rule judges the kernel's threat state (the {@code threat} package: the verdicts
 * threat-defense connectors reported, and their freshness). A fact that was never reported makes the rule's verdict unknown rather than passing or failing.
 */
public enum ComplianceCheck {
    PASSCODE_COMPLIANT {
        @Override
        Verdict judge(Device device, Map<String, String> inventory, Map<String, String> apps, ThreatStanding threats, JsonNode parameters,
                  Instant now) {
            Optional<Boolean> present = flag(inventory, "passcode.present");
            if (present.isEmpty()) {
                return Verdict.unknown("the device has not reported whether it has a passcode");
            }
            if (!present.get()) {
                return Verdict.failing("no passcode is set");
            }
            return flag(inventory, "passcode.compliant").orElse(true) ? Verdict.PASSING
                    : Verdict.failing("the passcode does not meet the passcode policy");
        }
    },
    STORAGE_ENCRYPTED {
        @Override
        Verdict judge(Device device, Map<String, String> inventory, Map<String, String> apps, ThreatStanding threats, JsonNode parameters,
                  Instant now) {
            return flag(inventory, "storage.encrypted")
                    .map(encrypted -> encrypted ? Verdict.PASSING : Verdict.failing("storage is not encrypted"))
                    .orElse(Verdict.unknown("the device has not reported its encryption"));
        }
    },
    MIN_OS_VERSION {
        @Override
        Verdict judge(Device device, Map<String, String> inventory, Map<String, String> apps, ThreatStanding threats, JsonNode parameters,
                  Instant now) {
            String minimum = parameters.path("version").asText();
            if (device.osVersion().isBlank()) {
                return Verdict.unknown("the device has not reported its OS version");
            }
            return OsVersion.key(device.osVersion()).compareTo(OsVersion.key(minimum)) >= 0 ? Verdict.PASSING
                    : Verdict.failing("OS version " + device.osVersion() + " is below " + minimum);
        }

        @Override
        void checkParameters(JsonNode parameters) {
            if (OsVersion.key(parameters.path("version").asText("")).isEmpty()) {
                throw new IllegalArgumentException("parameters.version: a version such as 17.4 is required");
            }
        }
    },
    /**
     * The device's threat level, as the threat-defense connectors report it, is at most {@code level}. A fresh verdict
     * above it fails. A stale verdict (its connector silent past its stale age) never counts as secure: with
     * {@code whenStale} {@code FAIL} (the default) the rule fails with the stale connector named, with {@code UNKNOWN} it
     * does not judge (the device's compliance is then unknown unless another rule fails it). No verdict at all is unknown.
     */
    MAX_THREAT_LEVEL {
        @Override
        Verdict judge(Device device, Map<String, String> inventory, Map<String, String> apps, ThreatStanding threats, JsonNode parameters,
                      Instant now) {
            ThreatLevel maximum = ThreatLevel.valueOf(parameters.path("level").asText().toUpperCase(Locale.ROOT));
            if (threats.freshLevel().isPresent() && threats.freshLevel().get().isWorseThan(maximum)) {
                return Verdict.failing("threat level " + threats.freshLevel().get() + " from " + String.join(", ", threats.freshSources())
                        + " is above " + maximum);
            }
            if (!threats.stale().isEmpty()) {
                String stale = threats.stale().stream()
                        .map(verdict -> "threat verdict from " + verdict.connector() + " stale since " + verdict.staleSince())
                        .collect(Collectors.joining("; "));
                return STALE_UNKNOWN.equals(parameters.path(WHEN_STALE).asText(STALE_FAIL).toUpperCase(Locale.ROOT))
                        ? Verdict.unknown(stale) : Verdict.failing(stale);
            }
            if (threats.freshLevel().isEmpty()) {
                return Verdict.unknown("no threat-defense verdict for the device");
            }
            return Verdict.PASSING;
        }

        @Override
        void checkParameters(JsonNode parameters) {
            try {
                ThreatLevel.valueOf(parameters.path("level").asText("").toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("parameters.level: one of NONE, LOW, MEDIUM, HIGH, CRITICAL is required");
            }
            JsonNode whenStale = parameters.get(WHEN_STALE);
            if (whenStale != null && !(whenStale.isTextual() && (STALE_FAIL.equalsIgnoreCase(whenStale.asText())
                    || STALE_UNKNOWN.equalsIgnoreCase(whenStale.asText())))) {
                throw new IllegalArgumentException("parameters.whenStale: FAIL (the default) or UNKNOWN");
            }
        }

        @Override
        boolean judgesThreats() {
            return true;
        }
    },
    CHECKED_IN_WITHIN {
        @Override
        Verdict judge(Device device, Map<String, String> inventory, Map<String, String> apps, ThreatStanding threats, JsonNode parameters,
                  Instant now) {
            int days = parameters.path("days").asInt();
            if (device.lastCheckIn().isEmpty()) {
                return Verdict.failing("the device has never checked in");
            }
            return device.lastCheckIn().get().isAfter(now.minus(Duration.ofDays(days))) ? Verdict.PASSING
                    : Verdict.failing("last check-in " + device.lastCheckIn().get() + " is more than " + days + " days ago");
        }

        @Override
        void checkParameters(JsonNode parameters) {
            int days = parameters.path("days").asInt(0);
            if (days < 1 || days > 365) {
                throw new IllegalArgumentException("parameters.days: a number of days from 1 to 365 is required");
            }
        }
    },
    NOT_JAILBROKEN {
        @Override
        Verdict judge(Device device, Map<String, String> inventory, Map<String, String> apps, ThreatStanding threats, JsonNode parameters,
                  Instant now) {
            return flag(inventory, "security.jailbroken")
                    .map(jailbroken -> jailbroken ? Verdict.failing("the device is jailbroken or rooted") : Verdict.PASSING)
                    .orElse(Verdict.unknown("the device has not reported its integrity"));
        }
    },
    REQUIRED_APPS {
        @Override
        Verdict judge(Device device, Map<String, String> inventory, Map<String, String> apps, ThreatStanding threats, JsonNode parameters,
                  Instant now) {
            if (!"true".equals(inventory.get("apps.reported"))) {
                return Verdict.unknown("the device has not reported its apps");
            }
            List<String> missing = new ArrayList<>();
            for (AppBound required : AppBound.of(parameters, MINIMUM_VERSION)) {
                String version = apps.get(required.identifier());
                if (version == null) {
                    missing.add(required.identifier());
                } else if (required.version().isPresent() && OsVersion.below(version, required.version().get())) {
                    missing.add(required.identifier() + " " + version + " (at least " + required.version().get() + " is required)");
                }
            }
            return missing.isEmpty() ? Verdict.PASSING : Verdict.failing("required apps missing: " + String.join(", ", missing));
        }

        @Override
        void checkParameters(JsonNode parameters) {
            AppBound.check(parameters, MINIMUM_VERSION);
        }

        @Override
        boolean judgesApps() {
            return true;
        }
    },
    FORBIDDEN_APPS {
        @Override
        Verdict judge(Device device, Map<String, String> inventory, Map<String, String> apps, ThreatStanding threats, JsonNode parameters,
                  Instant now) {
            if (!"true".equals(inventory.get("apps.reported"))) {
                return Verdict.unknown("the device has not reported its apps");
            }
            List<String> present = new ArrayList<>();
            for (AppBound forbidden : AppBound.of(parameters, VERSION_BELOW)) {
                String version = apps.get(forbidden.identifier());
                if (version == null) {
                    continue;
                }
                if (forbidden.version().isEmpty()) {
                    present.add(forbidden.identifier() + (version.isBlank() ? "" : " " + version));
                } else if (OsVersion.below(version, forbidden.version().get())) {
                    present.add(forbidden.identifier() + " " + version + " (below " + forbidden.version().get() + ")");
                }
            }
            return present.isEmpty() ? Verdict.PASSING : Verdict.failing("forbidden apps installed: " + String.join(", ", present));
        }

        @Override
        void checkParameters(JsonNode parameters) {
            AppBound.check(parameters, VERSION_BELOW);
        }

        @Override
        boolean judgesApps() {
            return true;
        }
    };

    /** The version bound a required app may name: an older installed version counts as missing. */
    private static final String MINIMUM_VERSION = "minimumVersion";
    /** The version bound a forbidden app may name: only versions below it are forbidden. */
    private static final String VERSION_BELOW = "versionBelow";
    /** The parameter of {@link #MAX_THREAT_LEVEL} saying what a stale verdict does. */
    private static final String WHEN_STALE = "whenStale";
    private static final String STALE_FAIL = "FAIL";
    private static final String STALE_UNKNOWN = "UNKNOWN";
    /** The most apps one rule names. */
    private static final int MAX_APPS = 200;

    /**
     * An app a rule names: {@code "com.example.app"}, or {@code {"identifier": "com.example.app", "<bound>": "2.4"}}
     * with a version bound, compared number by number as {@link OsVersion#below} does.
     */
    private record AppBound(String identifier, Optional<String> version) {

        /** The apps of parameters {@link #check} accepted. */
        static List<AppBound> of(JsonNode parameters, String boundKey) {
            List<AppBound> bounds = new ArrayList<>();
            parameters.path("apps").forEach(app -> bounds.add(app.isTextual() ? new AppBound(app.asText(), Optional.empty())
                    : new AppBound(app.path("identifier").asText(), Optional.ofNullable(app.get(boundKey)).map(JsonNode::asText))));
            return bounds;
        }

        /** @throws IllegalArgumentException naming what is wrong with {@code parameters.apps} */
        static void check(JsonNode parameters, String boundKey) {
            JsonNode apps = parameters.path("apps");
            if (!apps.isArray() || apps.isEmpty() || apps.size() > MAX_APPS) {
                throw new IllegalArgumentException("parameters.apps: a list of 1 to " + MAX_APPS + " apps is required");
            }
            for (JsonNode app : apps) {
                if (app.isTextual() && !app.asText().isBlank()) {
                    continue;
                }
                if (!app.isObject()) {
                    throw new IllegalArgumentException("parameters.apps: an app is an identifier, or an object with \"identifier\" and \""
                            + boundKey + "\"");
                }
                app.fieldNames().forEachRemaining(name -> {
                    if (!name.equals("identifier") && !name.equals(boundKey)) {
                        throw new IllegalArgumentException("parameters.apps: unknown field \"" + name + "\" (an app has \"identifier\" and \""
                                + boundKey + "\")");
                    }
                });
                if (!app.path("identifier").isTextual() || app.path("identifier").asText().isBlank()) {
                    throw new IllegalArgumentException("parameters.apps: every app needs an identifier");
                }
                JsonNode bound = app.get(boundKey);
                if (bound != null && (!bound.isTextual() || OsVersion.key(bound.asText()).isEmpty())) {
                    throw new IllegalArgumentException("parameters.apps: " + boundKey + " of " + app.path("identifier").asText()
                            + " must be a version such as 2.4.1");
                }
            }
        }
    }

    /** What a rule says of a device: passing, failing with the reason, or unknown for want of facts. */
    record Verdict(Outcome outcome, String detail) {
        static final Verdict PASSING = new Verdict(Outcome.PASSING, "");

        static Verdict failing(String detail) {
            return new Verdict(Outcome.FAILING, detail);
        }

        static Verdict unknown(String detail) {
            return new Verdict(Outcome.UNKNOWN, detail);
        }
    }

    enum Outcome { PASSING, FAILING, UNKNOWN }

    /**
     * @param apps the apps the device reports, identifier to version, from the fleet app inventory; read only for
     *        checks that {@link #judgesApps()}, empty for the others
     */
    abstract Verdict judge(Device device, Map<String, String> inventory, Map<String, String> apps, ThreatStanding threats, JsonNode parameters,
                  Instant now);

    /**
     * @throws IllegalArgumentException naming the parameter that is missing or wrong
     */
    void checkParameters(JsonNode parameters) {
    }

    /** @return whether the check judges the device's threat state, so it must be read for it */
    boolean judgesThreats() {
        return false;
    }

    /** @return whether the check judges the device's apps, so they must be read for it */
    boolean judgesApps() {
        return false;
    }

    private static Optional<Boolean> flag(Map<String, String> inventory, String key) {
        String value = inventory.get(key);
        return value == null ? Optional.empty() : Optional.of(Boolean.parseBoolean(value.trim()));
    }
}
