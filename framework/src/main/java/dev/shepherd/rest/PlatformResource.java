package dev.shepherd.rest;

import dev.shepherd.api.device.Platform;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.security.Permission;

import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/** The platforms a running plugin manages, for choosing one (an enrollment link, a device filter). */
final class PlatformResource {

    /** A platform a running plugin manages. */
    record PlatformInfo(String id) {
    }

    private final Supplier<List<Platform>> platforms;

    PlatformResource(Supplier<List<Platform>> platforms) {
        this.platforms = requireNonNull(platforms, "platforms is null");
    }

    List<AdminRoute> routes() {
        return List.of(AdminRoute.get("/api/v1/platforms", Permission.DEVICE_READ).tag("devices")
                .deviceFree("the platforms the running plugins support, not devices")
                .summary("The platforms the running plugins manage").returns(PlatformInfo[].class)
                .handle(request -> platforms.get().stream().map(platform -> new PlatformInfo(platform.id())).sorted(
                        Comparator.comparing(PlatformInfo::id)).toList()));
    }
}
