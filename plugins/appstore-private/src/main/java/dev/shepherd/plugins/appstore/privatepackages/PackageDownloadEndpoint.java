package dev.shepherd.plugins.appstore.privatepackages;

import dev.shepherd.api.appstore.AppInstallation.PackageKind;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.http.DeviceEndpoint;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * What devices download, at {@code /mdm/appstore-private}: {@code /packages/<sha256>} (the package's bytes, with
 * single byte ranges for resumed downloads) and {@code /manifests/<sha256>} (an {@code .ipa}'s or {@code .pkg}'s manifest), each only
 * with a valid link for the device ({@link DownloadLinks}). No package with that digest: 404; a link that is
 * malformed, altered, made for another device or package, or expired: 403.
 */
@Extension
public final class PackageDownloadEndpoint implements DeviceEndpoint {

    private static final Logger log = LoggerFactory.getLogger(PackageDownloadEndpoint.class);
    private static final Pattern ROUTE = Pattern.compile("/(" + DownloadLinks.PACKAGES + "|" + DownloadLinks.MANIFESTS + ")/([0-9a-f]{64})");
    /** The kinds Apple devices install through a manifest. */
    private static final Set<PackageKind> MANIFESTED = Set.of(PackageKind.IPA, PackageKind.PKG);
    private static final Pattern RANGE = Pattern.compile("bytes=([0-9]*)-([0-9]*)");

    private final PrivatePackages packages;

    @Inject
    public PackageDownloadEndpoint(PrivatePackages packages) {
        this.packages = requireNonNull(packages, "packages is null");
    }

    @Override
    public int maxBodyBytes() {
        return 1024;
    }

    @Override
    public DeviceResponse handle(DeviceRequest request) throws IOException {
        if (!request.method().equals("GET") && !request.method().equals("HEAD")) {
            return DeviceResponse.problem(405, "Method not allowed", "Use GET.").withHeader("Allow", "GET, HEAD");
        }
        Matcher route = ROUTE.matcher(request.path());
        if (!route.matches()) {
            return DeviceResponse.problem(404, "Not found", "There is nothing at " + request.path() + ".");
        }
        String purpose = route.group(1);
        String sha256 = route.group(2);
        Optional<PrivatePackages.Stored> stored = packages.stored(sha256);
        if (stored.isEmpty() || purpose.equals(DownloadLinks.MANIFESTS) && !MANIFESTED.contains(stored.get().pack().info().kind())) {
            return DeviceResponse.problem(404, "Not found", "No package with that digest is stored.");
        }
        DownloadLinks.Verdict verdict = packages.links().verify(purpose, sha256, request.queryParameter("device"),
                request.queryParameter("expires"), request.queryParameter("signature"));
        if (verdict.refusal().isPresent()) {
            log.info("Refused a {} download of {} from {}: {}", purpose, sha256, request.remoteAddress(), verdict.refusal().get());
            return DeviceResponse.problem(403, "Forbidden", switch (verdict.refusal().get()) {
                case EXPIRED -> "This download link has expired; the device gets a new one with its next install command.";
                case FORGED, MALFORMED -> "This download link is not valid for this package.";
            });
        }
        DeviceId device = verdict.device().orElseThrow();
        if (purpose.equals(DownloadLinks.MANIFESTS)) {
            Instant expires = Instant.ofEpochSecond(Long.parseLong(request.queryParameter("expires").orElseThrow()));
            return DeviceResponse.of(200, "application/xml", packages.manifest(stored.get().pack(), device, expires))
                    .withHeader("Cache-Control", "no-store");
        }
        log.debug("Device {} downloads package {}", device, sha256);
        return content(stored.get(), request.header("Range"));
    }

    private static DeviceResponse content(PrivatePackages.Stored stored, Optional<String> rangeHeader) throws IOException {
        long size = Files.size(stored.file());
        long start = 0;
        long end = size - 1;
        boolean partial = false;
        Matcher range = rangeHeader.map(RANGE::matcher).filter(Matcher::matches).orElse(null);
        // Several ranges, or another unit, are answered with the whole file, as HTTP allows.
        if (range != null && !(range.group(1).isEmpty() && range.group(2).isEmpty())) {
            try {
                if (range.group(1).isEmpty()) {
                    start = Math.max(0, size - Long.parseLong(range.group(2)));
                } else {
                    start = Long.parseLong(range.group(1));
                    end = range.group(2).isEmpty() ? size - 1 : Math.min(size - 1, Long.parseLong(range.group(2)));
                }
            } catch (NumberFormatException tooLong) {
                start = size;
            }
            if (start >= size || start > end) {
                return DeviceResponse.problem(416, "Range not satisfiable", "The package has " + size + " bytes.")
                        .withHeader("Content-Range", "bytes */" + size);
            }
            partial = true;
        }
        // Streamed by the kernel from the file: a download never sits whole in the server's heap.
        DeviceResponse response = DeviceResponse.ofFile(partial ? 206 : 200, "application/octet-stream", stored.file(), start, end - start + 1)
                .withHeader("Accept-Ranges", "bytes")
                .withHeader("ETag", "\"" + stored.pack().sha256() + "\"")
                .withHeader("Cache-Control", "private, no-store");
        return partial ? response.withHeader("Content-Range", "bytes " + start + "-" + end + "/" + size) : response;
    }
}
