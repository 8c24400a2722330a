package dev.shepherd.plugins.identity.ldap;

import com.unboundid.ldap.sdk.LDAPException;
import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/identity-ldap/sync}: POST syncs the directory now; GET shows the connection's settings (never
 * the password), the last sync and the last failure. A sync not over within {@code adminWait} is answered 202 and
 * goes on (GET says {@code running} until it is over), so a slow directory never holds the caller past the kernel's
 * plugin call timeout. The directory's refusals come back as a 502 problem carrying its words.
 */
@Extension
public final class SyncEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(SyncEndpoint.class);

    private final SyncWorker worker;
    private final LdapConnections connections;
    private final BindPassword bindPassword;

    @Inject
    public SyncEndpoint(SyncWorker worker, LdapConnections connections, BindPassword bindPassword) {
        this.worker = requireNonNull(worker, "worker is null");
        this.connections = requireNonNull(connections, "connections is null");
        this.bindPassword = requireNonNull(bindPassword, "bindPassword is null");
    }

    @Override
    public String path() {
        return "/sync";
    }

    @Override
    public String permission() {
        // A sync creates, changes and deactivates users, as the kernel's user_write routes do.
        return "user_write";
    }

    @Override
    public String summary() {
        return "POST: sync users and groups from the LDAP directory now; GET: the connection and the last sync";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) throws InterruptedException {
        if (!request.path().equals(path())) {
            return DeviceResponse.problem(404, "Not found", "There is nothing at " + request.path() + ".");
        }
        return switch (request.method()) {
            case "GET" -> JsonAnswers.json(200, status());
            case "POST" -> sync();
            default -> JsonAnswers.methodNotAllowed("GET, POST");
        };
    }

    private DeviceResponse sync() throws InterruptedException {
        LdapSettings settings = connections.settings();
        if (!settings.configured()) {
            return DeviceResponse.problem(409, "Not configured", "Set plugins.config.identity-ldap.url and the base DNs before syncing.");
        }
        Future<LdapSync.Report> sync;
        try {
            sync = worker.requestSync();
        } catch (RejectedExecutionException e) {
            return DeviceResponse.problem(503, "Stopping", "The LDAP plugin is stopping; try again once it runs again.");
        }
        try {
            return JsonAnswers.json(200, report(sync.get(settings.adminWait().toMillis(), TimeUnit.MILLISECONDS)));
        } catch (TimeoutException e) {
            return JsonAnswers.json(202, Map.of("status", "running", "detail", "The sync goes on; GET this resource for its outcome."));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof LDAPException refused) {
                return DeviceResponse.problem(502, "Directory sync failed", "No one was deactivated. The directory said: "
                        + refused.getExceptionMessage());
            }
            // Answered rather than thrown: the failure is the sync's, not the request's.
            log.warn("Directory sync failed", e.getCause());
            return DeviceResponse.problem(500, "Sync failed", worker.lastFailure().map(SyncWorker.SyncFailure::message)
                    .orElse("The sync stopped on an error in Shepherd; the server log has the details."));
        }
    }

    private Map<String, Object> status() {
        LdapSettings settings = connections.settings();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("configured", settings.configured());
        body.put("providerId", settings.providerId());
        List<String> servers = settings.servers().stream().map(server -> server.host() + ":" + server.port()).toList();
        body.put("servers", servers);
        body.put("transport", settings.transport().name());
        body.put("verifyHostname", settings.verifyHostname());
        body.put("bindDn", settings.bindDn().orElse(""));
        body.put("bindPasswordSet", bindPassword.isSet());
        body.put("activeDirectory", settings.activeDirectory());
        body.put("syncInterval", settings.syncInterval().toString());
        body.put("running", worker.syncing());
        worker.lastSync().ifPresent(report -> body.put("lastSync", report(report)));
        worker.lastFailure().ifPresent(failure -> {
            body.put("lastError", failure.message());
            body.put("lastErrorAt", failure.at().toString());
        });
        return body;
    }

    private static Map<String, Object> report(LdapSync.Report report) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("at", report.at().toString());
        body.put("users", report.users());
        body.put("disabledUsers", report.disabledUsers());
        body.put("groups", report.groups());
        body.put("skipped", report.skipped());
        body.put("refused", report.refused());
        body.put("pages", report.pages());
        body.put("usersDeactivated", report.usersDeactivated());
        body.put("groupsRemoved", report.groupsRemoved());
        return body;
    }
}
