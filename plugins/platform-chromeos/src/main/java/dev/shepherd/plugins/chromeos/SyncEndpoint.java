package dev.shepherd.plugins.chromeos;

import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.google.GoogleException;
import dev.shepherd.google.JsonResponses;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/chromeos/sync}: POST syncs the devices and org units from Google now and reads the org
 * units' policies back; GET shows the last sync. The sync runs on the plugin's worker; an answer not ready within
 * {@code adminWait} is a 202 (the sync carries on; GET says {@code running} until it is over, then shows its outcome),
 * so a slow Google never holds the caller past the kernel's plugin call timeout. Google's refusals (such as a 403 for a
 * missing scope) come back as a 502 problem carrying Google's words.
 */
@Extension
public final class SyncEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(SyncEndpoint.class);

    private final ChromeOsWorker worker;
    private final GoogleApi google;

    @Inject
    public SyncEndpoint(ChromeOsWorker worker, GoogleApi google) {
        this.worker = requireNonNull(worker, "worker is null");
        this.google = requireNonNull(google, "google is null");
    }

    @Override
    public String path() {
        return "/sync";
    }

    @Override
    public String permission() {
        return "plugin_manage";
    }

    @Override
    public String summary() {
        return "POST: sync ChromeOS devices and org units from Google now; GET: the last sync";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) throws InterruptedException {
        switch (request.method()) {
            case "GET" -> {
                Map<String, Object> body = new LinkedHashMap<>();
                worker.lastSync().ifPresent(report -> body.put("lastSync", report(report)));
                worker.lastSyncError().ifPresent(error -> {
                    body.put("lastError", error.message());
                    body.put("lastErrorAt", error.at().toString());
                });
                body.put("running", worker.syncing());
                body.put("connected", google.connected());
                return JsonResponses.json(200, body);
            }
            case "POST" -> {
                if (!google.connected()) {
                    return JsonResponses.problem(409, "Not connected", "Upload the service account key (PUT .../service-account) and set the"
                            + " plugin setting 'adminUser' before syncing.");
                }
                Future<DirectorySync.Report> sync;
                try {
                    sync = worker.requestSync();
                } catch (RejectedExecutionException e) {
                    return JsonResponses.problem(503, "Stopping", "The ChromeOS plugin is stopping; try again once it runs again.");
                }
                try {
                    return JsonResponses.json(200, report(sync.get(google.settings().adminWait().toMillis(), TimeUnit.MILLISECONDS)));
                } catch (TimeoutException e) {
                    return JsonResponses.json(202, Map.of("status", "running", "detail", "The sync goes on; GET this resource for its outcome."));
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof GoogleException google) {
                        return Responses.google(google);
                    }
                    // Answered rather than thrown: an exception out of a plugin call takes the whole plugin out of service.
                    log.warn("ChromeOS sync failed", e.getCause());
                    return JsonResponses.problem(500, "Sync failed", worker.lastSyncError().map(ChromeOsWorker.SyncFailure::message)
                            .orElse("The sync stopped on an error in Shepherd; the server log has the details."));
                }
            }
            default -> {
                return Responses.methodNotAllowed("GET, POST");
            }
        }
    }

    private static Map<String, Object> report(DirectorySync.Report report) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("at", report.at().toString());
        body.put("devices", report.devices());
        body.put("enrolled", report.enrolled());
        body.put("orgUnits", report.orgUnits());
        body.put("skipped", report.skipped());
        return body;
    }
}
