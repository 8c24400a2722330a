package dev.shepherd.plugins.appstore.privatepackages;

import com.dd.plist.BinaryPropertyListWriter;
import com.dd.plist.NSDictionary;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Real package files, built byte by byte the way their tools lay them out. */
final class TestPackages {

    /** Microsoft's own publisher, whose publisher id every Windows user has seen: 8wekyb3d8bbwe. */
    static final String MICROSOFT = "CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US";
    static final String PRODUCT_CODE = "{AF9257BA-6BBD-4624-AA9B-0182D50292C3}";

    private TestPackages() {
    }

    /** An .ipa: a zip with the app's directory under Payload/, its Info.plist in Apple's binary format. */
    static byte[] ipa(String bundleId, String version, String displayName) {
        NSDictionary info = new NSDictionary();
        info.put("CFBundleIdentifier", bundleId);
        info.put("CFBundleShortVersionString", version);
        info.put("CFBundleVersion", version + ".17");
        info.put("CFBundleDisplayName", displayName);
        info.put("CFBundleExecutable", "App");
        try {
            Map<String, byte[]> entries = new LinkedHashMap<>();
            entries.put("Payload/", new byte[0]);
            entries.put("Payload/App.app/", new byte[0]);
            entries.put("Payload/App.app/Info.plist", BinaryPropertyListWriter.writeToArray(info));
            entries.put("Payload/App.app/App", "an executable".getBytes(StandardCharsets.US_ASCII));
            return zip(entries);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An .msix: a zip with AppxManifest.xml at its root. */
    static byte[] msix(String name, String publisher, String version, String displayName) {
        String manifest = "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                + "<Package xmlns=\"http://schemas.microsoft.com/appx/manifest/foundation/windows10\">"
                + "<Identity Name=\"" + name + "\" Publisher=\"" + publisher + "\" Version=\"" + version + "\" ProcessorArchitecture=\"x64\"/>"
                + "<Properties><DisplayName>" + displayName + "</DisplayName><PublisherDisplayName>Contoso</PublisherDisplayName>"
                + "<Logo>Assets\\StoreLogo.png</Logo></Properties></Package>";
        return zip(Map.of("AppxManifest.xml", manifest.getBytes(StandardCharsets.UTF_8), "App.exe", new byte[]{1, 2, 3}));
    }

    static byte[] zip(Map<String, byte[]> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(entry.getKey()));
                zip.write(entry.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * A minimal, valid compound file ([MS-CFB], version 3, 512-byte sectors), the container of every .msi: the
     * header, one FAT sector and one directory sector holding the root entry, then {@code payloadSectors} sectors of payload.
     */
    static byte[] compoundFile(int payloadSectors) {
        ByteBuffer file = ByteBuffer.allocate(512 * (3 + payloadSectors)).order(ByteOrder.LITTLE_ENDIAN);
        file.put(new byte[]{(byte) 0xD0, (byte) 0xCF, 0x11, (byte) 0xE0, (byte) 0xA1, (byte) 0xB1, 0x1A, (byte) 0xE1});
        file.put(new byte[16]);                 // CLSID
        file.putShort((short) 0x003E);          // minor version
        file.putShort((short) 0x0003);          // major version 3
        file.putShort((short) 0xFFFE);          // byte order: little-endian
        file.putShort((short) 9);               // sector shift: 512 bytes
        file.putShort((short) 6);               // mini sector shift: 64 bytes
        file.put(new byte[6]);                  // reserved
        file.putInt(0);                         // directory sectors (0 in version 3)
        file.putInt(1);                         // FAT sectors
        file.putInt(1);                         // first directory sector
        file.putInt(0);                         // transaction signature
        file.putInt(0x1000);                    // mini stream cutoff
        file.putInt(0xFFFFFFFE);                // first mini FAT sector: none
        file.putInt(0);                         // mini FAT sectors
        file.putInt(0xFFFFFFFE);                // first DIFAT sector: none
        file.putInt(0);                         // DIFAT sectors
        file.putInt(0);                         // DIFAT[0]: the FAT is sector 0
        while (file.position() < 512) {
            file.putInt(0xFFFFFFFF);            // DIFAT[1..108]: free
        }
        file.putInt(0xFFFFFFFD);                // sector 0 is the FAT itself
        file.putInt(0xFFFFFFFE);                // sector 1, the directory, ends its chain
        while (file.position() < 1024) {
            file.putInt(0xFFFFFFFF);
        }
        byte[] rootName = "Root Entry".getBytes(StandardCharsets.UTF_16LE);
        file.put(rootName);
        file.put(new byte[64 - rootName.length]);
        file.putShort((short) (rootName.length + 2));
        file.put((byte) 5);                     // root storage
        file.put((byte) 1);                     // black
        file.putInt(0xFFFFFFFF).putInt(0xFFFFFFFF).putInt(0xFFFFFFFF);
        file.put(new byte[16 + 4 + 16]);        // CLSID, state bits, times
        file.putInt(0xFFFFFFFE);                // no mini stream
        file.putLong(0);
        for (int unused = 0; unused < 3; unused++) {
            file.put(new byte[66]);
            file.put((byte) 0).put((byte) 0);
            file.putInt(0xFFFFFFFF).putInt(0xFFFFFFFF).putInt(0xFFFFFFFF);
            file.put(new byte[16 + 4 + 16 + 4 + 8]);
        }
        for (int sector = 0; sector < payloadSectors; sector++) {
            byte[] payload = new byte[512];
            Arrays.fill(payload, (byte) sector);
            file.put(payload);
        }
        return file.array();
    }

    /** A flat component package, as pkgbuild writes it: a xar archive with PackageInfo at its root. */
    static byte[] componentPkg(String identifier, String version) {
        String packageInfo = "<?xml version=\"1.0\" encoding=\"utf-8\"?><pkg-info overwrite-permissions=\"true\" relocatable=\"false\" identifier=\""
                + identifier + "\" postinstall-action=\"none\" version=\"" + version + "\" format-version=\"2\" install-location=\"/\" auth=\"root\">"
                + "<payload numberOfFiles=\"3\" installKBytes=\"12\"/><bundle-version/></pkg-info>";
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("PackageInfo", packageInfo.getBytes(StandardCharsets.UTF_8));
        files.put("Payload", new byte[]{0x1f, (byte) 0x8b, 8, 0});
        return xar(files);
    }

    /** A product archive, as productbuild writes it: a Distribution with the product and title, one component. */
    static byte[] productPkg(String identifier, String version, String title) {
        String distribution = "<?xml version=\"1.0\" encoding=\"utf-8\"?><installer-gui-script minSpecVersion=\"2\">"
                + "<title>" + title + "</title><product id=\"" + identifier + "\" version=\"" + version + "\"/>"
                + "<pkg-ref id=\"" + identifier + ".component\">#component.pkg</pkg-ref></installer-gui-script>";
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("Distribution", distribution.getBytes(StandardCharsets.UTF_8));
        files.put("component.pkg/PackageInfo", ("<pkg-info identifier=\"" + identifier + ".component\" version=\"0.1\"/>")
                .getBytes(StandardCharsets.UTF_8));
        return xar(files);
    }

    /**
     * A xar archive: the 28-byte header (magic, header size, version 1, compressed and plain table-of-contents
     * lengths, SHA-1 checksums), the zlib-compressed XML table of contents, then the heap of zlib-compressed files;
     * a name with a slash becomes a file inside a directory entry.
     */
    static byte[] xar(Map<String, byte[]> files) {
        ByteArrayOutputStream heap = new ByteArrayOutputStream();
        StringBuilder toc = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?><xar><toc>"
                + "<checksum style=\"sha1\"><offset>0</offset><size>20</size></checksum>");
        heap.writeBytes(new byte[20]);
        int id = 1;
        String openDirectory = null;
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            String name = file.getKey();
            String directory = name.contains("/") ? name.substring(0, name.indexOf('/')) : null;
            if (openDirectory != null && !openDirectory.equals(directory)) {
                toc.append("</file>");
                openDirectory = null;
            }
            if (directory != null && openDirectory == null) {
                toc.append("<file id=\"").append(id++).append("\"><name>").append(directory).append("</name><type>directory</type>");
                openDirectory = directory;
            }
            byte[] compressed = deflate(file.getValue());
            toc.append("<file id=\"").append(id++).append("\"><name>").append(directory == null ? name : name.substring(directory.length() + 1))
                    .append("</name><type>file</type><data><offset>").append(heap.size()).append("</offset><length>").append(compressed.length)
                    .append("</length><size>").append(file.getValue().length).append("</size>")
                    .append("<encoding style=\"application/x-gzip\"/></data></file>");
            heap.writeBytes(compressed);
        }
        if (openDirectory != null) {
            toc.append("</file>");
        }
        byte[] plainToc = toc.append("</toc></xar>").toString().getBytes(StandardCharsets.UTF_8);
        byte[] compressedToc = deflate(plainToc);
        ByteBuffer header = ByteBuffer.allocate(28);
        header.put(new byte[]{'x', 'a', 'r', '!'}).putShort((short) 28).putShort((short) 1)
                .putLong(compressedToc.length).putLong(plainToc.length).putInt(1);
        ByteArrayOutputStream archive = new ByteArrayOutputStream();
        archive.writeBytes(header.array());
        archive.writeBytes(compressedToc);
        archive.writeBytes(heap.toByteArray());
        return archive.toByteArray();
    }

    private static byte[] deflate(byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DeflaterOutputStream deflater = new DeflaterOutputStream(out)) {
            deflater.write(content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static Map<String, String> msiFields(String productCode, String version, String name) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(PackageInspector.PRODUCT_CODE, productCode);
        fields.put(PackageInspector.VERSION, version);
        fields.put(PackageInspector.NAME, name);
        return fields;
    }
}
