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

/**
 * The kinds of compliance rule and how each judges a device from its record and reported inventory.
 *
 * <p>Platform plugins report the facts as inventory items: {@code passcode.present} and {@code passcode.compliant},
 * {@code storage.encrypted}, {@code security.jailbroken} ({@code true} when jailbroken or rooted),
 * {@code threat.level} ({@code NONE}…{@code HIGH}, from threat-defense plugins), and {@code apps.reported} with one
 * {@code app.<identifier>} item per installed app. A fact that was never reported makes the rule's verdict
 * unknown rather than passing or failing.
 */
public enum ComplianceCheck {
    PASSCODE_COMPLIANT {
        @Override
        Verdict judge(Device device, Map<String, String> inventory, JsonNode parameters, Instant now) {
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
        Verdict judge(Device device, Map<String, String> inventory, JsonNode parameters, Instant now) {
            return flag(inventory, "storage.encrypted")
                    .map(encrypted -> encrypted ? Verdict.PASSING : Verdict.failing("storage is not encrypted"))
                    .orElse(Verdict.unknown("the device has not reported its encryption"));
        }
    },
    MIN_OS_VERSION {
        @Override
        Verdict judge(Device device, Map<String, String> inventory, JsonNode parameters, Instant now) {
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
    MAX_THREAT_LEVEL {
        @Override
        Verdict judge(Device device, Map<String, String> inventory, JsonNode parameters, Instant now) {
            String reported = inventory.get("threat.level");
            if (reported == null) {
                return Verdict.unknown("no threat-defense verdict for the device");
            }
            ThreatLevel level;
            try {
                level = ThreatLevel.valueOf(reported.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                return Verdict.unknown("unreadable threat level " + reported);
            }
            ThreatLevel maximum = ThreatLevel.valueOf(parameters.path("level").asText().toUpperCase(Locale.ROOT));
            return level.compareTo(maximum) <= 0 ? Verdict.PASSING
                    : Verdict.failing("threat level " + level + " is above " + maximum);
        }

        @Override
        void checkParameters(JsonNode parameters) {
            try {
                ThreatLevel.valueOf(parameters.path("level").asText("").toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("parameters.level: one of NONE, LOW, MEDIUM, HIGH is required");
            }
        }
    },
    CHECKED_IN_WITHIN {
        @Override
        Verdict judge(Device device, Map<String, String> inventory, JsonNode parameters, Instant now) {
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
        Verdict judge(Device device, Map<String, String> inventory, JsonNode parameters, Instant now) {
            return flag(inventory, "security.jailbroken")
                    .map(jailbroken -> jailbroken ? Verdict.failing("the device is jailbroken or rooted") : Verdict.PASSING)
                    .orElse(Verdict.unknown("the device has not reported its integrity"));
        }
    },
    REQUIRED_APPS {
        @Override
        Verdict judge(Device device, Map<String, String> inventory, JsonNode parameters, Instant now) {
            if (!"true".equals(inventory.get("apps.reported"))) {
                return Verdict.unknown("the device has not reported its apps");
            }
            List<String> missing = new ArrayList<>();
            parameters.path("apps").forEach(app -> {
                if (!inventory.containsKey("app." + app.asText())) {
                    missing.add(app.asText());
                }
            });
            return missing.isEmpty() ? Verdict.PASSING : Verdict.failing("required apps missing: " + String.join(", ", missing));
        }

        @Override
        void checkParameters(JsonNode parameters) {
            checkApps(parameters);
        }
    },
    FORBIDDEN_APPS {
        @Override
        Verdict judge(Device device, Map<String, String> inventory, JsonNode parameters, Instant now) {
            if (!"true".equals(inventory.get("apps.reported"))) {
                return Verdict.unknown("the device has not reported its apps");
            }
            List<String> present = new ArrayList<>();
            parameters.path("apps").forEach(app -> {
                if (inventory.containsKey("app." + app.asText())) {
                    present.add(app.asText());
                }
            });
            return present.isEmpty() ? Verdict.PASSING : Verdict.failing("forbidden apps installed: " + String.join(", ", present));
        }

        @Override
        void checkParameters(JsonNode parameters) {
            checkApps(parameters);
        }
    };

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

    abstract Verdict judge(Device device, Map<String, String> inventory, JsonNode parameters, Instant now);

    /**
     * @throws IllegalArgumentException naming the parameter that is missing or wrong
     */
    void checkParameters(JsonNode parameters) {
    }

    private static Optional<Boolean> flag(Map<String, String> inventory, String key) {
        String value = inventory.get(key);
        return value == null ? Optional.empty() : Optional.of(Boolean.parseBoolean(value.trim()));
    }

    private static void checkApps(JsonNode parameters) {
        JsonNode apps = parameters.path("apps");
        if (!apps.isArray() || apps.isEmpty() || apps.size() > 200) {
            throw new IllegalArgumentException("parameters.apps: a list of 1 to 200 app identifiers is required");
        }
        apps.forEach(app -> {
            if (!app.isTextual() || app.asText().isBlank()) {
                throw new IllegalArgumentException("parameters.apps: app identifiers are texts");
            }
        });
    }
}
