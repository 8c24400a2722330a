package dev.shepherd.threat;

import dev.shepherd.testing.TestPluginBuilder;

import static dev.shepherd.testing.TestPluginBuilder.plugin;

/**
 * Threat-defense connector plugins for the tests, built into real plugin files: a vendor whose console is a file the
 * test writes (its devices, an outage with Retry-After), with a push-only connector and a device endpoint that hands
 * pushes to {@code ThreatSignals}; a connector that hangs; a connector that throws.
 */
final class FakeThreatVendors {

    /** Where the Acme vendor's state lives, in the plugin's data directory: the test writes it as the vendor's console. */
    static final String VENDOR_FILE = "vendor.properties";
    /** Where the Acme connector appends the cursor each poll was given. */
    static final String CURSOR_LOG = "cursors.log";

    private FakeThreatVendors() {
    }

    /**
     * {@code acme-mtd}: connector {@code acme} (polled) reads {@value #VENDOR_FILE}: {@code outage=<message>} with
     * {@code retryAfterSeconds=<n>} fails the poll; otherwise each {@code device.<vendorId>=<serial>,<level>,<assessedAt
     * epoch millis>[,<threat name>]} is an assessment. Connector {@code acme-push} only receives pushes: the endpoint at
     * {@code /mdm/acme-mtd/} takes {@code <connectorId>|<vendorId>|<serial>|<level>|<assessedAt epoch millis>} and
     * answers what {@code ThreatSignals.report} said (400 with its message when it refused).
     */
    static TestPluginBuilder acme() {
        return plugin("acme-mtd", "1.0.0").source("""
                package acme.mtd;

                import dev.shepherd.api.config.PluginDataDirectory;
                import dev.shepherd.api.threat.Threat;
                import dev.shepherd.api.threat.ThreatAssessment;
                import dev.shepherd.api.threat.ThreatDefenseConnector;
                import dev.shepherd.api.threat.ThreatDefenseException;
                import dev.shepherd.api.threat.ThreatLevel;
                import dev.shepherd.api.threat.ThreatPoll;
                import dev.shepherd.api.threat.VendorDevice;
                import jakarta.inject.Inject;
                import org.pf4j.Extension;

                import java.io.IOException;
                import java.io.Reader;
                import java.net.URI;
                import java.nio.charset.StandardCharsets;
                import java.nio.file.Files;
                import java.nio.file.Path;
                import java.nio.file.StandardOpenOption;
                import java.time.Duration;
                import java.time.Instant;
                import java.util.ArrayList;
                import java.util.List;
                import java.util.Map;
                import java.util.Optional;
                import java.util.Properties;

                @Extension
                public class AcmeMtd implements ThreatDefenseConnector {
                    private final Path directory;

                    @Inject
                    public AcmeMtd(PluginDataDirectory data) {
                        this.directory = data.path();
                    }

                    public String id() { return "acme"; }
                    public String displayName() { return "Acme MTD"; }
                    public Optional<Duration> pollInterval() { return Optional.of(Duration.ofMinutes(5)); }

                    public ThreatPoll poll(Optional<String> cursor) throws ThreatDefenseException {
                        Properties vendor = new Properties();
                        try {
                            Files.writeString(directory.resolve("cursors.log"), cursor.orElse("-") + "\\n", StandardCharsets.UTF_8,
                                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                            Path file = directory.resolve("vendor.properties");
                            if (Files.exists(file)) {
                                try (Reader reader = Files.newBufferedReader(file)) {
                                    vendor.load(reader);
                                }
                            }
                        } catch (IOException e) {
                            throw new ThreatDefenseException("cannot read the vendor's state", e);
                        }
                        if (vendor.getProperty("outage") != null) {
                            String retry = vendor.getProperty("retryAfterSeconds");
                            throw retry == null ? new ThreatDefenseException(vendor.getProperty("outage"))
                                    : new ThreatDefenseException(vendor.getProperty("outage"), Duration.ofSeconds(Long.parseLong(retry)));
                        }
                        List<ThreatAssessment> assessments = new ArrayList<>();
                        for (String key : vendor.stringPropertyNames()) {
                            if (key.startsWith("device.")) {
                                String[] parts = vendor.getProperty(key).split(",");
                                Instant at = Instant.ofEpochMilli(Long.parseLong(parts[2]));
                                List<Threat> threats = parts.length > 3 ? List.of(new Threat("t-" + parts[3], "MALWARE", parts[3],
                                        ThreatLevel.valueOf(parts[1]), at, at, Optional.of(URI.create("https://console.acme.example/threats/" + parts[3]))))
                                        : List.of();
                                String vendorId = key.substring("device.".length());
                                assessments.add(new ThreatAssessment(new VendorDevice(vendorId, Optional.empty(), Optional.of(parts[0]),
                                        Map.of(), Optional.empty()), ThreatLevel.valueOf(parts[1]), "risk=" + parts[1], threats, at));
                            }
                        }
                        return new ThreatPoll(assessments, Optional.of("page-" + assessments.size()), false);
                    }
                }
                """).source("""
                package acme.mtd;

                import dev.shepherd.api.threat.ThreatDefenseConnector;

                import java.time.Duration;
                import java.util.Optional;
                import org.pf4j.Extension;

                @Extension
                public class AcmePush implements ThreatDefenseConnector {
                    public String id() { return "acme-push"; }
                    public String displayName() { return "Acme push"; }
                    public Optional<Duration> pollInterval() { return Optional.empty(); }
                }
                """).source("""
                package acme.mtd;

                import dev.shepherd.api.http.DeviceEndpoint;
                import dev.shepherd.api.http.DeviceRequest;
                import dev.shepherd.api.http.DeviceResponse;
                import dev.shepherd.api.threat.ThreatAssessment;
                import dev.shepherd.api.threat.ThreatLevel;
                import dev.shepherd.api.threat.ThreatSignals;
                import dev.shepherd.api.threat.VendorDevice;
                import jakarta.inject.Inject;
                import org.pf4j.Extension;

                import java.nio.charset.StandardCharsets;
                import java.time.Instant;
                import java.util.List;
                import java.util.Map;
                import java.util.Optional;

                @Extension
                public class PushEndpoint implements DeviceEndpoint {
                    private final ThreatSignals signals;

                    @Inject
                    public PushEndpoint(ThreatSignals signals) {
                        this.signals = signals;
                    }

                    public DeviceResponse handle(DeviceRequest request) {
                        String[] parts = new String(request.body(), StandardCharsets.UTF_8).trim().split("\\\\|");
                        List<ThreatAssessment> assessments = parts.length < 5 ? List.of() : List.of(new ThreatAssessment(
                                new VendorDevice(parts[1], Optional.empty(), Optional.of(parts[2]), Map.of(), Optional.empty()),
                                ThreatLevel.valueOf(parts[3]), "pushed " + parts[3], List.of(), Instant.ofEpochMilli(Long.parseLong(parts[4]))));
                        try {
                            ThreatSignals.ThreatReport report = signals.report(parts[0], assessments);
                            return DeviceResponse.text(200, "matched=" + report.matched() + " unmatched=" + report.unmatched()
                                    + " changed=" + report.changed());
                        } catch (IllegalArgumentException e) {
                            return DeviceResponse.text(400, e.getMessage());
                        }
                    }
                }
                """);
    }

    /** {@code stuck-mtd}: connector {@code stuck}, whose polls never answer. */
    static TestPluginBuilder stuck() {
        return plugin("stuck-mtd", "1.0.0").source("""
                package stuck.mtd;

                import dev.shepherd.api.threat.ThreatDefenseConnector;
                import dev.shepherd.api.threat.ThreatPoll;
                import org.pf4j.Extension;

                import java.time.Duration;
                import java.util.Optional;

                @Extension
                public class Stuck implements ThreatDefenseConnector {
                    public String id() { return "stuck"; }
                    public String displayName() { return "Stuck vendor"; }
                    public Optional<Duration> pollInterval() { return Optional.of(Duration.ofMinutes(5)); }

                    public ThreatPoll poll(Optional<String> cursor) {
                        try {
                            Thread.sleep(600_000);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        throw new IllegalStateException("woke up");
                    }
                }
                """);
    }

    /** {@code broken-mtd}: connector {@code broken}, whose polls throw. */
    static TestPluginBuilder broken() {
        return plugin("broken-mtd", "1.0.0").source("""
                package broken.mtd;

                import dev.shepherd.api.threat.ThreatDefenseConnector;
                import dev.shepherd.api.threat.ThreatPoll;
                import org.pf4j.Extension;

                import java.time.Duration;
                import java.util.Optional;

                @Extension
                public class Broken implements ThreatDefenseConnector {
                    public String id() { return "broken"; }
                    public String displayName() { return "Broken vendor"; }
                    public Optional<Duration> pollInterval() { return Optional.of(Duration.ofMinutes(5)); }

                    public ThreatPoll poll(Optional<String> cursor) {
                        throw new NullPointerException("the vendor's SDK fell over");
                    }
                }
                """);
    }
}
