package dev.shepherd.plugins.appstore.privatepackages;

import com.dd.plist.NSDictionary;
import dev.shepherd.api.appstore.AppInstallation.PackageKind;
import dev.shepherd.api.device.Platform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PackageInspectorTest {

    private final PackageInspector inspector = new PackageInspector();

    @TempDir
    Path directory;

    @Test
    void anIpaIsKnownByTheBinaryInfoPlistOfTheAppInItsPayload() throws Exception {
        PackageInfo info = inspect(TestPackages.ipa("com.example.field", "2.4.1", "Field Notes"), Map.of());

        assertThat(info).isEqualTo(new PackageInfo(PackageKind.IPA, "com.example.field", "2.4.1", "Field Notes", ""));
        assertThat(info.platform()).isEqualTo(Platform.IOS);
    }

    @Test
    void anXmlInfoPlistWithoutShortVersionOrDisplayNameFallsBackToBundleVersionAndName() throws Exception {
        NSDictionary plist = new NSDictionary();
        plist.put("CFBundleIdentifier", "com.example.legacy");
        plist.put("CFBundleVersion", "88");
        plist.put("CFBundleName", "Legacy");
        byte[] ipa = TestPackages.zip(Map.of("Payload/Legacy.app/Info.plist", plist.toXMLPropertyList().getBytes(StandardCharsets.UTF_8)));

        assertThat(inspect(ipa, Map.of())).isEqualTo(new PackageInfo(PackageKind.IPA, "com.example.legacy", "88", "Legacy", ""));
    }

    @Test
    void anArchiveWithAnEntryOutsideItsRootIsRefused() {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("Payload/App.app/Info.plist", new byte[]{1});
        entries.put("Payload/../../etc/cron.d/evil", new byte[]{1});

        assertRefused(TestPackages.zip(entries), Map.of(), 400, "outside its root");
        assertRefused(TestPackages.zip(Map.of("/etc/passwd", new byte[]{1})), Map.of(), 400, "outside its root");
    }

    @Test
    void anInfoPlistThatInflatesBeyondTheBoundIsRefusedWithoutBeingReadWhole() {
        // 64 MiB of zeros deflate to about 64 KiB: a small upload that would fill the heap if read whole.
        byte[] bomb = TestPackages.zip(Map.of("Payload/App.app/Info.plist", new byte[64 * 1024 * 1024]));
        assertThat(bomb.length).isLessThan(200_000);

        assertRefused(bomb, Map.of(), 400, "inflates beyond");
    }

    @Test
    void malformedAndForeignPackagesAreRefusedWithTheReason() {
        assertRefused(TestPackages.zip(Map.of("Payload/App.app/Info.plist", "not a plist".getBytes(StandardCharsets.UTF_8))),
                Map.of(), 400, "not a property list");
        NSDictionary noIdentifier = new NSDictionary();
        noIdentifier.put("CFBundleShortVersionString", "1.0");
        assertRefused(TestPackages.zip(Map.of("Payload/App.app/Info.plist", noIdentifier.toXMLPropertyList().getBytes(StandardCharsets.UTF_8))),
                Map.of(), 400, "CFBundleIdentifier");
        assertRefused(TestPackages.zip(Map.of("readme.txt", new byte[]{1})), Map.of(), 415, "neither an .ipa");
        byte[] truncatedZip = TestPackages.ipa("com.example.app", "1.0", "App");
        assertRefused(Arrays.copyOf(truncatedZip, truncatedZip.length / 2), Map.of(), 400, "malformed");
        assertRefused("#!/bin/sh\nrm -rf /\n".getBytes(StandardCharsets.US_ASCII), Map.of(), 415, "not an .ipa, .pkg, .msi or .msix");
        assertRefused("xar!\0\034\0\1".getBytes(StandardCharsets.US_ASCII), Map.of(), 400, "shorter than a xar header");
    }

    @Test
    void anMsiIsACompoundFileWhoseProductCodeVersionAndNameComeWithTheUpload() throws Exception {
        PackageInfo info = inspect(TestPackages.compoundFile(4),
                TestPackages.msiFields(TestPackages.PRODUCT_CODE.toLowerCase(), "3.1.2", "Contoso Agent"));

        assertThat(info).isEqualTo(new PackageInfo(PackageKind.MSI, TestPackages.PRODUCT_CODE, "3.1.2", "Contoso Agent", ""));
        assertThat(info.platform()).isEqualTo(Platform.WINDOWS);
    }

    @Test
    void anMsiWithoutItsFieldsOrWithABrokenHeaderIsRefused() {
        assertRefused(TestPackages.compoundFile(1), Map.of(), 400, "productCode is missing");
        assertRefused(TestPackages.compoundFile(1), TestPackages.msiFields("AF9257BA", "1.0", "Agent"), 400, "GUID in braces");
        assertRefused(TestPackages.compoundFile(1), TestPackages.msiFields(TestPackages.PRODUCT_CODE, "one", "Agent"), 400, "product version");
        byte[] wrongByteOrder = TestPackages.compoundFile(1);
        wrongByteOrder[28] = 0;
        assertRefused(wrongByteOrder, TestPackages.msiFields(TestPackages.PRODUCT_CODE, "1.0", "Agent"), 400, "header is malformed");
        byte[] headerOnly = Arrays.copyOf(TestPackages.compoundFile(1), 100);
        assertRefused(headerOnly, TestPackages.msiFields(TestPackages.PRODUCT_CODE, "1.0", "Agent"), 400, "shorter than");
    }

    @Test
    void anMsixIsKnownByItsManifestsIdentityAndReportedByItsPackageFamilyName() throws Exception {
        PackageInfo info = inspect(TestPackages.msix("Contoso.Notes", TestPackages.MICROSOFT, "1.2.0.0", "Contoso Notes"), Map.of());

        assertThat(info).isEqualTo(new PackageInfo(PackageKind.MSIX, "Contoso.Notes_8wekyb3d8bbwe", "1.2.0.0", "Contoso Notes", "Contoso"));
    }

    @Test
    void aComponentPkgIsKnownByTheIdentifierAndVersionOfItsPackageInfo() throws Exception {
        PackageInfo info = inspect(TestPackages.componentPkg("com.example.agent", "5.0.2"), Map.of());

        assertThat(info).isEqualTo(new PackageInfo(PackageKind.PKG, "com.example.agent", "5.0.2", "com.example.agent", ""));
        assertThat(info.platform()).isEqualTo(Platform.MACOS);
    }

    @Test
    void aProductArchiveIsKnownByItsDistributionsProductAndTitle() throws Exception {
        assertThat(inspect(TestPackages.productPkg("com.example.suite", "2026.1", "Example Suite"), Map.of()))
                .isEqualTo(new PackageInfo(PackageKind.PKG, "com.example.suite", "2026.1", "Example Suite", ""));
    }

    @Test
    void aPkgWhoseTableOfContentsOrFilesAreOutOfBoundsIsRefused() {
        byte[] pkg = TestPackages.componentPkg("com.example.agent", "5.0.2");
        byte[] hugeToc = pkg.clone();
        ByteBuffer.wrap(hugeToc).putLong(16, 1L << 40);
        assertRefused(hugeToc, Map.of(), 400, "table of contents");
        byte[] onlyPackageInfo = TestPackages.xar(Map.of("PackageInfo", "<pkg-info identifier=\"a\" version=\"1\"/>".getBytes(StandardCharsets.UTF_8)));
        byte[] truncated = Arrays.copyOf(onlyPackageInfo, onlyPackageInfo.length - 5);
        assertRefused(truncated, Map.of(), 400, "outside the archive");
        assertRefused(TestPackages.xar(Map.of("Payload", new byte[]{1})), Map.of(), 400, "neither a PackageInfo nor a Distribution");
        assertRefused(TestPackages.xar(Map.of("PackageInfo", new byte[2 * 1024 * 1024])), Map.of(), 400, "inflates beyond");
    }

    @Test
    void anMsixManifestWithADoctypeIsRefusedSoNoEntityIsExpanded() {
        String manifest = "<?xml version=\"1.0\"?><!DOCTYPE Package [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + "<Package><Identity Name=\"&x;\" Publisher=\"CN=a\" Version=\"1.0.0.0\"/></Package>";
        assertRefused(TestPackages.zip(Map.of("AppxManifest.xml", manifest.getBytes(StandardCharsets.UTF_8))), Map.of(), 400, "not well-formed");
    }

    private PackageInfo inspect(byte[] content, Map<String, String> fields) throws IOException, PackageRefusedException {
        Path file = Files.write(Files.createTempFile(directory, "package", ".bin"), content);
        return inspector.inspect(file, fields);
    }

    private void assertRefused(byte[] content, Map<String, String> fields, int status, String reason) {
        assertThatThrownBy(() -> inspect(content, fields))
                .isInstanceOfSatisfying(PackageRefusedException.class, refused -> {
                    assertThat(refused.status()).isEqualTo(status);
                    assertThat(refused.getMessage()).contains(reason);
                });
    }
}
