package dev.shepherd.rest;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.threat.Threat;
import dev.shepherd.api.threat.ThreatLevel;
import dev.shepherd.api.threat.VendorDevice;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;
import dev.shepherd.threat.ConnectorHealth;
import dev.shepherd.threat.ConnectorState;
import dev.shepherd.threat.DeviceThreatState;
import dev.shepherd.threat.ThreatConnectors;
import dev.shepherd.threat.ThreatService;
import dev.shepherd.threat.UnmatchedSignal;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * Threat defense: the connectors' health and an admin's stale-age setting, on-demand polls, devices' threat states
 * (one device's, and the fleet's by level), and the unmatched signals with the link that assigns one to a device.
 * Reading needs {@code compliance_read} and changing {@code compliance_write}: threat verdicts are compliance's input.
 */
public final class ThreatResource {

    /**
     * A connector's health.
     *
     * @param id the connector's id
     * @param pluginId the plugin that registers it
     * @param displayName the vendor's name
     * @param running whether its plugin runs now
     * @param pollIntervalSeconds how often it is polled; absent for a push-only connector (or one not running)
     * @param setupProblem what an admin must still do before it works, as it last said
     * @param staleAfterSeconds the stale age in force
     * @param adminStaleAfterSeconds an admin's setting, when there is one
     * @param stale whether its verdicts are stale now
     * @param staleSince when they went, or go, stale
     * @param lastHeardAt its last successful poll or push
     * @param lastPollAt its last successful poll
     * @param lastFailureAt its last failed poll
     * @param lastError why it failed
     * @param consecutiveFailures failed polls since the last successful one
     * @param nextPollAt when it is polled next
     * @param matched devices it has verdicts on
     * @param unmatched its signals that matched no device
     */
    public record ConnectorView(String id, String pluginId, String displayName, boolean running, Optional<Long> pollIntervalSeconds,
                                Optional<String> setupProblem, long staleAfterSeconds, Optional<Long> adminStaleAfterSeconds, boolean stale,
                                Instant staleSince, Optional<Instant> lastHeardAt, Optional<Instant> lastPollAt,
                                Optional<Instant> lastFailureAt, Optional<String> lastError, int consecutiveFailures,
                                Optional<Instant> nextPollAt, long matched, long unmatched) {
    }

    /**
     * A device's threat state.
     *
     * @param deviceId the device
     * @param level the effective level: {@code NONE}…{@code CRITICAL}, or {@code UNKNOWN} when no verdict exists or a
     *        stale one could hide something
     * @param freshLevel the worst fresh verdict, when there is one
     * @param staleConnectors the connectors whose verdicts on the device are stale
     * @param verdicts each connector's verdict
     */
    public record DeviceThreatView(String deviceId, String level, Optional<ThreatLevel> freshLevel, List<String> staleConnectors,
                                   List<VerdictView> verdicts) {
    }

    /**
     * One connector's verdict on a device.
     *
     * @param connectorId the connector
     * @param connector its display name
     * @param level the level
     * @param vendorVerdict the vendor's own words
     * @param vendorDeviceId the vendor's id of the device
     * @param assessedAt when the vendor assessed it
     * @param receivedAt when the server received it
     * @param stale whether the connector has been silent past its stale age
     * @param staleSince when the verdict went, or goes, stale
     * @param threats the threats behind the level, with links to the vendor's console
     */
    public record VerdictView(String connectorId, String connector, ThreatLevel level, String vendorVerdict, String vendorDeviceId,
                              Instant assessedAt, Instant receivedAt, boolean stale, Instant staleSince, List<Threat> threats) {
    }

    /** A signal that matched no device. */
    public record UnmatchedView(String connectorId, String vendorDeviceId, VendorDevice device, ThreatLevel level, String reason,
                                Instant assessedAt, Instant receivedAt) {
    }

    /** An admin's stale age for a connector, in seconds (one minute to 30 days); absent or null for the default. */
    record StaleAfter(Optional<Long> staleAfterSeconds) {
        StaleAfter {
            staleAfterSeconds = staleAfterSeconds == null ? Optional.empty() : staleAfterSeconds;
        }
    }

    /** Links an unmatched signal to a device. */
    record Link(String connectorId, String vendorDeviceId, String deviceId) {
        Link {
            requireNonNull(connectorId, "connectorId is null");
            requireNonNull(vendorDeviceId, "vendorDeviceId is null");
            requireNonNull(deviceId, "deviceId is null");
        }
    }

    private final Kernel kernel;
    private final ThreatConnectors connectors;
    private final Supplier<Map<String, String>> setupProblems;

    /**
     * @param connectors the connectors running now
     * @param setupProblems what connectors not set up said, by connector id
     */
    public ThreatResource(Kernel kernel, ThreatConnectors connectors, Supplier<Map<String, String>> setupProblems) {
        this.kernel = requireNonNull(kernel, "kernel is null");
        this.connectors = requireNonNull(connectors, "connectors is null");
        this.setupProblems = requireNonNull(setupProblems, "setupProblems is null");
    }

    public List<AdminRoute> routes() {
        return List.of(
                AdminRoute.get("/api/v1/threats/connectors", Permission.COMPLIANCE_READ).tag("threats")
                        .summary("Threat-defense connectors with their health: last poll, last error, next poll, stale or fresh, matched and unmatched devices")
                        .deviceFree("a connector's health counts devices but names none")
                        .returns(ConnectorView[].class).handle(request -> connectorViews()),
                AdminRoute.put("/api/v1/threats/connectors/{id}/stale-after", Permission.COMPLIANCE_WRITE).tag("threats")
                        .summary("Set (or, with null, clear) an admin's stale age for a connector, in seconds").body(StaleAfter.class)
                        .returns(ConnectorView.class).handle(request -> {
                            Optional<Duration> age = request.body(StaleAfter.class).staleAfterSeconds().map(Duration::ofSeconds);
                            ConnectorState changed;
                            try {
                                changed = kernel.threats().setStaleAfter(request.actor(), request.path("id"), age)
                                        .orElseThrow(() -> notFound(request.path("id")));
                            } catch (IllegalArgumentException e) {
                                throw ApiException.badRequest(e.getMessage());
                            }
                            return connectorViews().stream().filter(view -> view.id().equals(changed.connectorId())).findFirst().orElseThrow();
                        }),
                AdminRoute.post("/api/v1/threats/connectors/{id}/poll", Permission.COMPLIANCE_WRITE).tag("threats")
                        .summary("Poll a connector now (202: the poller takes it within a moment)").status(202).handle(request -> {
                            String id = request.path("id");
                            boolean polled = connectors.running().stream().anyMatch(running -> running.connectorId().equals(id)
                                    && running.pollInterval().isPresent());
                            if (kernel.threats().connector(id).isEmpty()) {
                                throw notFound(id);
                            }
                            if (!polled) {
                                throw ApiException.conflict("Connector " + id + " is not running or receives pushes only, so it cannot be polled.");
                            }
                            kernel.threats().pollNow(request.actor(), id);
                            return Map.of("connectorId", id, "status", "due");
                        }),
                AdminRoute.get("/api/v1/devices/{id}/threats", Permission.COMPLIANCE_READ).tag("devices").scopeEnforced()
                        .summary("The device's threat state: the effective level and each connector's verdict with its threats and freshness")
                        .returns(DeviceThreatView.class).handle(request -> {
                            DeviceId id = DeviceResource.scopedDeviceId(kernel, request, request.path("id"));
                            if (kernel.devices().get(id).isEmpty()) {
                                throw ApiException.notFound("No device has the id '" + request.path("id") + "'.");
                            }
                            return view(kernel.threats().device(id));
                        }),
                AdminRoute.get("/api/v1/threats/devices", Permission.COMPLIANCE_READ).tag("threats").scopeEnforced()
                        .summary("Devices with threat verdicts and their effective level, a page at a time, optionally of one level")
                        .query("level", "NONE, LOW, MEDIUM, HIGH, CRITICAL or UNKNOWN").query("cursor", "from the previous page")
                        .query("limit", "1 to 200, default 50").returns(Page.class).handle(this::fleet),
                AdminRoute.get("/api/v1/threats/unmatched", Permission.COMPLIANCE_READ).tag("threats")
                        .summary("Signals that matched no managed device (or more than one), newest first")
                        .query("connectorId", "only this connector's").query("limit", "1 to 500, default 100")
                        .returns(UnmatchedView[].class).handle(request -> kernel.threats()
                                .unmatched(request.query("connectorId"), request.queryInt("limit", 100, 1, 500)).stream()
                                .map(ThreatResource::view).toList()),
                AdminRoute.post("/api/v1/threats/unmatched/link", Permission.COMPLIANCE_WRITE).tag("threats")
                        .summary("Link an unmatched signal to a device: its vendor id is recorded and its verdict applied")
                        .body(Link.class).returns(DeviceThreatView.class).handle(request -> {
                            Link link = request.body(Link.class);
                            DeviceId device = new DeviceId(DeviceResource.uuid(link.deviceId()));
                            try {
                                return kernel.threats().link(request.actor(), link.connectorId(), link.vendorDeviceId(), device)
                                        .map(ThreatResource::view)
                                        .orElseThrow(() -> ApiException.notFound("No unmatched signal of connector " + link.connectorId()
                                                + " for vendor device " + link.vendorDeviceId() + "."));
                            } catch (IllegalArgumentException e) {
                                throw ApiException.badRequest(e.getMessage());
                            }
                        }));
    }

    private List<ConnectorView> connectorViews() {
        Map<String, ThreatConnectors.Running> running = connectors.running().stream()
                .collect(Collectors.toMap(ThreatConnectors.Running::connectorId, Function.identity()));
        Map<String, String> problems = setupProblems.get();
        return kernel.threats().health().stream().map(health -> view(health, Optional.ofNullable(running.get(health.state().connectorId())),
                Optional.ofNullable(problems.get(health.state().connectorId())))).toList();
    }

    private static ConnectorView view(ConnectorHealth health, Optional<ThreatConnectors.Running> running, Optional<String> setupProblem) {
        ConnectorState state = health.state();
        return new ConnectorView(state.connectorId(), state.pluginId(), state.displayName(), running.isPresent(),
                running.flatMap(ThreatConnectors.Running::pollInterval).map(Duration::toSeconds), setupProblem,
                health.staleAfter().toSeconds(), state.adminStaleAfter().map(Duration::toSeconds), health.stale(), health.staleSince(),
                state.lastHeardAt(), state.lastSuccessAt(), state.lastFailureAt(), state.lastFailure(), state.consecutiveFailures(),
                state.nextPollAt(), health.matched(), health.unmatched());
    }

    private Page<DeviceThreatView> fleet(ApiRequest request) {
        Optional<String> level = request.query("level").map(text -> text.trim().toUpperCase(Locale.ROOT));
        if (level.isPresent() && !level.get().equals(ThreatService.UNKNOWN)) {
            try {
                ThreatLevel.valueOf(level.get());
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("level: one of NONE, LOW, MEDIUM, HIGH, CRITICAL, UNKNOWN");
            }
        }
        int limit = request.queryInt("limit", 50, 1, 200);
        Optional<String> after = Pages.decode(request.query("cursor"));
        after.ifPresent(DeviceResource::uuid);
        List<DeviceThreatState> states = kernel.threats().fleet(level, after, limit + 1, ids -> {
            Set<DeviceId> visible = new HashSet<>(kernel.devices().inScopeAmong(request.principal().scope(), ids));
            return ids.stream().filter(visible::contains).toList();
        });
        List<DeviceThreatView> items = states.stream().limit(limit).map(ThreatResource::view).toList();
        Optional<String> next = states.size() > limit ? Optional.of(Pages.encode(items.get(items.size() - 1).deviceId())) : Optional.empty();
        return new Page<>(items, next);
    }

    static DeviceThreatView view(DeviceThreatState state) {
        return new DeviceThreatView(state.device().toString(), state.effective().level(), state.effective().freshLevel(),
                state.effective().staleConnectors(), state.verdicts().stream().map(verdict -> new VerdictView(
                        verdict.verdict().connectorId(), verdict.connector(), verdict.verdict().level(), verdict.verdict().vendorVerdict(),
                        verdict.verdict().vendorDeviceId(), verdict.verdict().assessedAt(), verdict.verdict().receivedAt(), verdict.stale(),
                        verdict.staleSince(), verdict.verdict().threats())).toList());
    }

    private static UnmatchedView view(UnmatchedSignal signal) {
        return new UnmatchedView(signal.connectorId(), signal.vendorDeviceId(), signal.device(), signal.level(), signal.reason(),
                signal.assessedAt(), signal.receivedAt());
    }

    private static ApiException notFound(String connectorId) {
        return ApiException.notFound("No threat-defense connector has the id '" + connectorId + "'.");
    }
}
