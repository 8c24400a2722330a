package dev.shepherd.api.appstore;

import dev.shepherd.api.appstore.AppInstallation.FromManifest;
import dev.shepherd.api.appstore.AppInstallation.FromPackage;
import dev.shepherd.api.appstore.AppInstallation.FromStore;
import dev.shepherd.api.appstore.AppInstallation.PackageKind;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AppInstallationTest {

    private static final String DIGEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    @Test
    void aStoreInstallationBecomesTheCanonicalParametersAndBack() {
        AppInstallation installation = new AppInstallation("com.example.notes", Optional.of("2.1"),
                new FromStore("361309726"), Map.of("purchaseMethod", 1));

        Map<String, Object> parameters = installation.toParameters();

        assertEquals(List.of("identifier", "version", "source", "storeAppId", "options"), List.copyOf(parameters.keySet()));
        assertEquals("store", parameters.get("source"));
        assertEquals("361309726", parameters.get("storeAppId"));
        assertEquals(Map.of("purchaseMethod", 1), parameters.get("options"));
        assertEquals(Optional.of(installation), AppInstallation.fromParameters(parameters));
    }

    @Test
    void aManifestInstallationRoundTrips() {
        AppInstallation installation = new AppInstallation("com.example.inhouse", Optional.empty(),
                new FromManifest(URI.create("https://mdm.example.com/apps/1/manifest.plist")), Map.of());

        Map<String, Object> parameters = installation.toParameters();

        assertEquals(Map.of("identifier", "com.example.inhouse", "source", "manifest",
                "manifestUrl", "https://mdm.example.com/apps/1/manifest.plist"), parameters);
        assertEquals(Optional.of(installation), AppInstallation.fromParameters(parameters));
    }

    @Test
    void aPackageInstallationRoundTripsWithItsDigestSizeAndKind() {
        AppInstallation installation = new AppInstallation("{AF92A3C1-0000-4000-8000-000000000001}", Optional.of("1.0.3"),
                new FromPackage(URI.create("https://mdm.example.com/packages/abc"), DIGEST.toUpperCase(), 4096, PackageKind.MSI),
                Map.of());

        Map<String, Object> parameters = installation.toParameters();

        assertEquals("package", parameters.get("source"));
        assertEquals(DIGEST, parameters.get("sha256"), "the digest is kept in lower case");
        assertEquals(4096L, parameters.get("size"));
        assertEquals("msi", parameters.get("packageKind"));
        assertEquals(Optional.of(installation), AppInstallation.fromParameters(parameters));
    }

    @Test
    void parametersThatTravelledThroughJsonAreReadWhateverNumberTypeTheSizeBecame() {
        Map<String, Object> parameters = new HashMap<>(Map.of("identifier", "com.example.app", "source", "package",
                "packageUrl", "https://mdm.example.com/p", "sha256", DIGEST, "packageKind", "IPA", "size", 12));
        assertEquals(12L, source(parameters).size());

        parameters.put("size", 12.0d);
        assertEquals(12L, source(parameters).size());
        assertEquals(PackageKind.IPA, source(parameters).kind());

        parameters.put("size", 12.5d);
        assertThrows(IllegalArgumentException.class, () -> AppInstallation.fromParameters(parameters));
    }

    @Test
    void platformParametersWithoutASourceAreNotACanonicalInstallation() {
        assertEquals(Optional.empty(), AppInstallation.fromParameters(Map.of("appStoreId", "361309726")));
        assertEquals(Optional.empty(), AppInstallation.fromParameters(Map.of("productCode", "{AF92}", "msiUrl", "https://x/a.msi")));
    }

    @Test
    void malformedCanonicalParametersAreRefusedWithWhatIsWrong() {
        assertEquals("source must be store, manifest or package: ftp", refusal(Map.of("identifier", "a", "source", "ftp")));
        assertEquals("storeAppId is missing", refusal(Map.of("identifier", "a", "source", "store")));
        assertEquals("identifier is missing", refusal(Map.of("source", "store", "storeAppId", "1")));
        assertEquals("storeAppId is not text", refusal(Map.of("identifier", "a", "source", "store", "storeAppId", 7)));
        assertEquals("options is not an object", refusal(Map.of("identifier", "a", "source", "store", "storeAppId", "1", "options", "x")));
        assertEquals("manifestUrl must be an absolute http(s) URL: file:///etc/passwd",
                refusal(Map.of("identifier", "a", "source", "manifest", "manifestUrl", "file:///etc/passwd")));
        assertEquals("sha256 must be 64 hex digits", refusal(Map.of("identifier", "a", "source", "package",
                "packageUrl", "https://x/p", "sha256", "abc", "size", 1, "packageKind", "msi")));
        assertEquals("packageKind must be ipa, pkg, msi, msix or apk: exe", refusal(Map.of("identifier", "a", "source", "package",
                "packageUrl", "https://x/p", "sha256", DIGEST, "size", 1, "packageKind", "exe")));
        assertEquals("size must be positive: 0", refusal(Map.of("identifier", "a", "source", "package",
                "packageUrl", "https://x/p", "sha256", DIGEST, "size", 0, "packageKind", "msi")));
    }

    @Test
    void removalParametersNameTheAppAndHowItWasInstalled() {
        assertEquals(Map.of("identifier", "com.example.notes", "source", "store", "storeAppId", "361309726"),
                AppInstallation.fromStore("com.example.notes", "361309726").toRemovalParameters());
        AppInstallation msi = new AppInstallation("{AF92}", Optional.empty(),
                new FromPackage(URI.create("https://x/p"), DIGEST, 10, PackageKind.MSI), Map.of());
        assertEquals(Map.of("identifier", "{AF92}", "source", "package", "packageKind", "msi"), msi.toRemovalParameters());
    }

    @Test
    void optionsAreCopiedSoTheInstallationCannotChangeAfterwards() {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("purchaseMethod", 1);
        AppInstallation installation = new AppInstallation("a", Optional.empty(), new FromStore("1"), options);
        options.put("later", true);

        assertEquals(Map.of("purchaseMethod", 1), installation.options());
        assertThrows(UnsupportedOperationException.class, () -> installation.options().put("x", 1));
    }

    @Test
    void blankPartsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> AppInstallation.fromStore(" ", "1"));
        assertThrows(IllegalArgumentException.class, () -> AppInstallation.fromStore("a", ""));
        assertThrows(IllegalArgumentException.class, () -> new AppInstallation("a", Optional.of(""), new FromStore("1"), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new AppInstallation("a", Optional.empty(), new FromStore("1"), Map.of(" ", 1)));
    }

    @Test
    void packageKindsAreReadInAnyCase() {
        assertEquals(PackageKind.MSIX, PackageKind.fromParameter("MsIx"));
        assertTrue(List.of(PackageKind.values()).stream().allMatch(kind -> PackageKind.fromParameter(kind.parameter()) == kind));
    }

    private static FromPackage source(Map<String, Object> parameters) {
        return (FromPackage) AppInstallation.fromParameters(parameters).orElseThrow().source();
    }

    private static String refusal(Map<String, Object> parameters) {
        return assertThrows(IllegalArgumentException.class, () -> AppInstallation.fromParameters(parameters)).getMessage();
    }
}
