package dev.shepherd.rest;

import dev.shepherd.api.device.Platform;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.security.Permission;
import dev.shepherd.setup.EnrollmentReadiness;
import dev.shepherd.setup.Setup;
import dev.shepherd.setup.SetupChecklist;
import dev.shepherd.setup.SetupIncompleteException;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The setup checklist: {@code GET /api/v1/setup} works it out from the server's state (reading needs
 * {@code plugin_read}, as the plugins' own status does); whether a platform can enroll now
 * ({@code GET /api/v1/setup/enrollment}) needs {@code enrollment_read}, for the enrollment link form; dismissing the completed list and giving the domain of the
 * Windows discovery check need {@code plugin_manage}.
 */
public final class SetupResource {

    /** The domain of the e-mail addresses users enroll PCs with, such as {@code example.com}. */
    record WindowsDomain(String domain) {
        WindowsDomain {
            requireNonNull(domain, "domain is null");
        }
    }

    private final SetupChecklist checklist;

    public SetupResource(SetupChecklist checklist) {
        this.checklist = requireNonNull(checklist, "checklist is null");
    }

    public List<AdminRoute> routes() {
        return List.of(
                AdminRoute.get("/api/v1/setup", Permission.PLUGIN_READ).tag("setup")
                        .summary("The setup checklist from the server's state: public URL and TLS certificate, what each running platform"
                                + " plugin requires (push certificate, enterprise binding…), Windows discovery DNS (looked up on every call),"
                                + " identity provider, first enrollment link, first policy; each step DONE, TODO, ATTENTION or NOT_USED with"
                                + " what was found and the console page that completes it")
                        .deviceFree("the checklist names no device").returns(Setup.class).handle(request -> checklist.check()),
                AdminRoute.get("/api/v1/setup/enrollment", Permission.ENROLLMENT_READ).tag("setup")
                        .summary("Whether devices of ?platform= can enroll with a link now: the open setup steps that stop them (public URL and"
                                + " certificate, the platform plugin's setup) and those merely advised, each with what to do")
                        .deviceFree("readiness names no device").returns(EnrollmentReadiness.class).handle(request -> {
                            String platform = request.query("platform").orElseThrow(() -> ApiException.badRequest("platform: give ?platform=, such as ios"));
                            try {
                                return checklist.readiness(new Platform(platform).id());
                            } catch (IllegalArgumentException e) {
                                throw ApiException.badRequest("platform: " + e.getMessage());
                            }
                        }),
                AdminRoute.post("/api/v1/setup/dismiss", Permission.PLUGIN_MANAGE).tag("setup")
                        .summary("Dismiss the checklist from the dashboard; 409 while a step is open (it shows again if a step reopens)")
                        .deviceFree("the checklist names no device").returns(Setup.class).handle(request -> {
                            try {
                                return checklist.dismiss(request.actor());
                            } catch (SetupIncompleteException e) {
                                throw ApiException.conflict(e.getMessage());
                            }
                        }),
                AdminRoute.put("/api/v1/setup/windows-domain", Permission.PLUGIN_MANAGE).tag("setup")
                        .summary("Set the e-mail domain whose enterpriseenrollment.<domain> DNS name the Windows step checks; answers the checklist")
                        .deviceFree("the checklist names no device").body(WindowsDomain.class).returns(Setup.class).handle(request -> {
                            try {
                                return checklist.setWindowsDomain(request.actor(), request.body(WindowsDomain.class).domain());
                            } catch (IllegalArgumentException e) {
                                throw ApiException.badRequest(e.getMessage());
                            }
                        }));
    }
}
