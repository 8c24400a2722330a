package dev.shepherd.rest;

import dev.shepherd.audit.AuditEntry;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.event.EventLog;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;
import io.undertow.util.Headers;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** The audit log (read, export, verify) and the event log. */
final class AuditResource {

    record AuditPage(List<AuditEntry> items, Optional<String> nextCursor) {
    }

    record EventPage(List<EventLog.Logged> items, Optional<String> nextCursor) {
    }

    private final Kernel kernel;

    AuditResource(Kernel kernel) {
        this.kernel = requireNonNull(kernel, "kernel is null");
    }

    List<AdminRoute> routes() {
        AuditLog audit = kernel.audit();
        return List.of(
                filtered(AdminRoute.get("/api/v1/audit", Permission.AUDIT_READ).tag("audit")
                        .summary("Audit entries with their hash chain, oldest first unless order=newest").query("cursor", "from the previous page")
                        .query("order", "oldest (default) or newest").query("limit", "1 to 1000, default 100")).returns(AuditPage.class)
                        .handle(request -> {
                            int limit = request.queryInt("limit", 100, 1, 1000);
                            List<AuditEntry> entries = audit.read(filter(request), cursor(request), limit + 1, order(request));
                            boolean more = entries.size() > limit;
                            List<AuditEntry> items = more ? entries.subList(0, limit) : entries;
                            return new AuditPage(items, more ? Optional.of(Long.toString(items.get(items.size() - 1).seq())) : Optional.empty());
                        }),
                filtered(AdminRoute.get("/api/v1/audit/export", Permission.AUDIT_READ).tag("audit")
                        .summary("Every matching entry as JSON lines (application/x-ndjson), for archiving")).returns(String.class)
                        .handle(request -> {
                            request.exchange().setStatusCode(200);
                            request.exchange().getResponseHeaders().put(Headers.CONTENT_TYPE, "application/x-ndjson");
                            request.exchange().getResponseHeaders().put(Headers.CONTENT_DISPOSITION, "attachment; filename=\"shepherd-audit.ndjson\"");
                            request.exchange().startBlocking();
                            try (OutputStream out = request.exchange().getOutputStream()) {
                                audit.export(filter(request), entry -> {
                                    try {
                                        out.write(kernel.json().write(entry).getBytes(StandardCharsets.UTF_8));
                                        out.write('\n');
                                    } catch (IOException e) {
                                        throw new UncheckedIOException(e);
                                    }
                                });
                            }
                            return null;
                        }),
                AdminRoute.get("/api/v1/audit/verify", Permission.AUDIT_READ).tag("audit")
                        .summary("Recompute the hash chain: intact, or the first entry that was altered or removed")
                        .returns(AuditLog.Verification.class).handle(request -> audit.verify()),
                AdminRoute.get("/api/v1/events", Permission.DEVICE_READ).tag("events").summary("Recent events, oldest first unless order=newest")
                        .query("type", "type prefixes, comma-separated, such as device.enrolled,plugin.")
                        .query("order", "oldest (default) or newest").query("cursor", "from the previous page")
                        .query("limit", "1 to 1000, default 100").returns(EventPage.class).handle(request -> {
                            int limit = request.queryInt("limit", 100, 1, 1000);
                            boolean newest = order(request);
                            List<EventLog.Logged> events = kernel.events().read(typePrefixes(request), cursor(request), limit + 1, newest);
                            boolean more = events.size() > limit;
                            List<EventLog.Logged> items = more ? events.subList(0, limit) : events;
                            return new EventPage(items, more ? Optional.of(Long.toString(items.get(items.size() - 1).seq())) : Optional.empty());
                        }));
    }

    private static boolean order(ApiRequest request) {
        String order = request.query("order").orElse("oldest");
        return switch (order) {
            case "oldest" -> false;
            case "newest" -> true;
            default -> throw ApiException.badRequest("order is oldest or newest, not '" + order + "'");
        };
    }

    private static List<String> typePrefixes(ApiRequest request) {
        List<String> prefixes = request.query("type").stream().flatMap(text -> java.util.Arrays.stream(text.split(",")))
                .map(String::strip).filter(prefix -> !prefix.isEmpty()).distinct().toList();
        if (prefixes.size() > 20) {
            throw ApiException.badRequest("at most 20 type prefixes");
        }
        return prefixes;
    }

    private static AdminRoute.Builder filtered(AdminRoute.Builder route) {
        return route.query("actor", "who").query("targetType", "kind of target, such as device")
                .query("targetId", "which target").query("action", "such as policy.update")
                .query("from", "ISO-8601 instant").query("until", "ISO-8601 instant");
    }

    private static AuditFilter filter(ApiRequest request) {
        return new AuditFilter(request.query("actor"), request.query("targetType"), request.query("targetId"),
                request.query("action"), request.queryInstant("from"), request.queryInstant("until"));
    }

    private static long cursor(ApiRequest request) {
        return request.query("cursor").map(text -> {
            try {
                long value = Long.parseLong(text);
                if (value < 0) {
                    throw new NumberFormatException();
                }
                return value;
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("the cursor is not valid");
            }
        }).orElse(0L);
    }
}
