package dev.shepherd.rest;

import dev.shepherd.http.AdminRoute;
import dev.shepherd.report.FleetReports;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Reports for the console's charts: the fleet over time, compliance by rule, command success. They count the whole
 * fleet, so scoped callers are refused (the routes are fleet-only).
 */
final class ReportResource {

    private final FleetReports reports;

    ReportResource(Kernel kernel) {
        requireNonNull(kernel, "kernel is null");
        this.reports = new FleetReports(kernel.transactions(), kernel.clock());
    }

    List<AdminRoute> routes() {
        String days = "1 to " + FleetReports.MAX_DAYS + ", default 30";
        return List.of(
                AdminRoute.get("/api/v1/reports/fleet", Permission.DEVICE_READ).tag("reports")
                        .summary("Managed devices per day (in all, per compliance state, platform and OS version), oldest first; "
                                + "past days from the daily snapshot, today counted now")
                        .query("days", days).returns(FleetReports.FleetDay[].class)
                        .handle(request -> reports.fleet(request.queryInt("days", 30, 1, FleetReports.MAX_DAYS))),
                AdminRoute.get("/api/v1/reports/compliance-rules", Permission.DEVICE_READ).tag("reports")
                        .summary("Every compliance rule with the managed devices it applies to: passing, failing (and of those in "
                                + "their grace period), not yet evaluated")
                        .returns(FleetReports.RuleCompliance[].class).handle(request -> reports.complianceByRule()),
                AdminRoute.get("/api/v1/reports/command-success", Permission.DEVICE_READ).tag("reports")
                        .summary("Commands created in the period by type: acknowledged, failed, expired, cancelled, pending, and "
                                + "the success rate").query("days", days).returns(FleetReports.CommandSuccess[].class)
                        .handle(request -> reports.commandSuccess(request.queryInt("days", 30, 1, FleetReports.MAX_DAYS))));
    }
}
