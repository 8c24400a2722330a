package dev.shepherd.plugins.appstore.privatepackages;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/appstore-private/packages}: admins upload a package ({@code POST}, the file as the body,
 * which the kernel writes to a file as it arrives;
 * an {@code .msi} also needs {@code ?productCode=…&version=…&name=…}, optionally {@code &publisher=…}), list them
 * ({@code GET}), read one ({@code GET /packages/{storeAppId}}) and delete one ({@code DELETE /packages/{storeAppId}}).
 * Uploading or deleting changes what devices install, so it needs {@code app_manage}, as assigning apps does.
 */
@Extension
public final class PackageAdminEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(PackageAdminEndpoint.class);
    private static final String PATH = "/packages";
    private static final List<String> FIELDS = List.of(PackageInspector.PRODUCT_CODE, PackageInspector.VERSION,
            PackageInspector.NAME, PackageInspector.PUBLISHER);

    private final PrivatePackages packages;
    private final ObjectMapper mapper = new ObjectMapper();

    @Inject
    public PackageAdminEndpoint(PrivatePackages packages) {
        this.packages = requireNonNull(packages, "packages is null");
    }

    @Override
    public String path() {
        return PATH;
    }

    @Override
    public String permission() {
        return "app_manage";
    }

    /** Packages come as files, bounded by {@code maxPackageBytes}, so an upload never sits in the server's heap. */
    @Override
    public long maxStreamedBodyBytes() {
        return packages.settings().maxPackageBytes();
    }

    @Override
    public String summary() {
        return "Private app packages (.ipa, .pkg, .msi, .msix): POST one to upload it, GET the list or one, DELETE one";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) throws IOException {
        if (request.path().equals(PATH)) {
            return switch (request.method()) {
                case "GET" -> json(200, packages.all().stream().map(PackageAdminEndpoint::describe).toList());
                case "POST" -> upload(request);
                default -> DeviceResponse.problem(405, "Method not allowed", "Use GET or POST.").withHeader("Allow", "GET, POST");
            };
        }
        if (!request.path().startsWith(PATH + "/")) {
            return DeviceResponse.problem(404, "Not found", "There is nothing at " + request.path() + ".");
        }
        String storeAppId = URLDecoder.decode(request.path().substring(PATH.length() + 1), StandardCharsets.UTF_8);
        return switch (request.method()) {
            case "GET" -> packages.find(storeAppId).map(pack -> json(200, describe(pack))).orElseGet(() -> unknown(storeAppId));
            case "DELETE" -> {
                Optional<PrivatePackage> deleted = packages.delete(storeAppId);
                deleted.ifPresent(pack -> log.info("Package {} ({}) deleted by {}", pack.storeAppId(), pack.sha256(), request.adminUsername()));
                yield deleted.isPresent() ? DeviceResponse.empty(204) : unknown(storeAppId);
            }
            default -> DeviceResponse.problem(405, "Method not allowed", "Use GET or DELETE.").withHeader("Allow", "GET, DELETE");
        };
    }

    private DeviceResponse upload(AdminRequest request) throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String field : FIELDS) {
            request.queryParameter(field).ifPresent(value -> fields.put(field, value));
        }
        try {
            // maxStreamedBodyBytes() is positive, so the kernel always hands the body over as a file.
            Path upload = request.bodyFile().orElseThrow(() -> new IllegalStateException("the kernel handed no body file"));
            PrivatePackage stored = packages.upload(upload, fields, request.adminUsername());
            log.info("Package {} version {} ({} bytes, SHA-256 {}) uploaded by {}", stored.storeAppId(), stored.info().version(),
                    stored.size(), stored.sha256(), request.adminUsername());
            return json(201, describe(stored));
        } catch (PackageRefusedException e) {
            return DeviceResponse.problem(e.status(), switch (e.status()) {
                case 413 -> "Payload too large";
                case 415 -> "Unsupported package";
                default -> "Bad request";
            }, e.getMessage());
        }
    }

    private static DeviceResponse unknown(String storeAppId) {
        return DeviceResponse.problem(404, "Not found", "No package " + storeAppId + " is stored.");
    }

    private static Map<String, Object> describe(PrivatePackage pack) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("storeId", PrivateStoreConnector.STORE_ID);
        body.put("storeAppId", pack.storeAppId());
        body.put("platform", pack.platform().id());
        body.putAll(pack.describe());
        return body;
    }

    private DeviceResponse json(int status, Object body) {
        try {
            return DeviceResponse.of(status, "application/json", mapper.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
