package dev.shepherd.plugins.appstore.privatepackages;

import com.dd.plist.NSDictionary;
import com.dd.plist.NSObject;
import com.dd.plist.NSString;
import com.dd.plist.PropertyListParser;
import dev.shepherd.api.appstore.AppInstallation.PackageKind;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

import static java.util.Objects.requireNonNull;

/**
 * Reads what an uploaded package is from the package itself, within bounds, and refuses what is not a package:
 * <ul>
 *   <li>{@code .ipa}: a zip holding {@code Payload/<name>.app/Info.plist} (binary or XML): bundle id, version
 *       (CFBundleShortVersionString, else CFBundleVersion) and name (CFBundleDisplayName, else CFBundleName);</li>
 *   <li>{@code .pkg}: a xar archive ({@link XarPackage}): the root {@code PackageInfo}'s identifier and version, or a
 *       product archive's {@code Distribution} product (else its first component's {@code PackageInfo}) and title;</li>
 *   <li>{@code .msix}: a zip holding {@code AppxManifest.xml}: its {@code Identity} (Name, Publisher, Version) gives
 *       the package family name a device reports;</li>
 *   <li>{@code .msi}: an OLE compound file, checked by its header; this plugin does not read the MSI database, so
 *       the product code, version and name come with the upload ({@link #PRODUCT_CODE}, {@link #VERSION},
 *       {@link #NAME}, optionally {@link #PUBLISHER}).</li>
 * </ul>
 * Archives with entries that climb out of their root, more than {@link #MAX_ENTRIES} entries, or a metadata file that
 * inflates beyond {@link #MAX_METADATA_BYTES} are refused.
 */
public final class PackageInspector {

    /** Upload field: an MSI's product code, a GUID in braces. */
    public static final String PRODUCT_CODE = "productCode";
    /** Upload field: an MSI's version. */
    public static final String VERSION = "version";
    /** Upload field: an MSI's name. */
    public static final String NAME = "name";
    /** Upload field: an MSI's publisher. */
    public static final String PUBLISHER = "publisher";

    static final int MAX_ENTRIES = 100_000;
    static final int MAX_METADATA_BYTES = 1024 * 1024;

    private static final byte[] ZIP = {'P', 'K', 3, 4};
    private static final byte[] COMPOUND_FILE = {(byte) 0xD0, (byte) 0xCF, 0x11, (byte) 0xE0, (byte) 0xA1, (byte) 0xB1, 0x1A, (byte) 0xE1};
    private static final byte[] XAR = {'x', 'a', 'r', '!'};
    private static final Pattern INFO_PLIST = Pattern.compile("Payload/[^/]+\\.app/Info\\.plist");
    private static final String APPX_MANIFEST = "AppxManifest.xml";
    private static final Pattern GUID = Pattern.compile("\\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}}");
    private static final Pattern MSI_VERSION = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,5}){0,3}");
    /** The alphabet Windows writes a package family name's publisher id in (Crockford's base 32, lower case). */
    private static final String PUBLISHER_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

    /**
     * Reads a received package.
     *
     * @param file the package, complete
     * @param fields what came with the upload (only an MSI needs any)
     * @return what it is
     * @throws PackageRefusedException when it is not a package this plugin takes, or is malformed (400, 415)
     * @throws IOException when the file cannot be read
     */
    public PackageInfo inspect(Path file, Map<String, String> fields) throws PackageRefusedException, IOException {
        requireNonNull(file, "file is null");
        requireNonNull(fields, "fields is null");
        byte[] head = head(file, 512);
        if (startsWith(head, ZIP)) {
            return archive(file);
        }
        if (startsWith(head, COMPOUND_FILE)) {
            checkCompoundFileHeader(head);
            return msi(fields);
        }
        if (startsWith(head, XAR)) {
            return pkg(XarPackage.open(file));
        }
        throw new PackageRefusedException(415, "This is not an .ipa, .pkg, .msi or .msix package.");
    }

    private PackageInfo archive(Path file) throws PackageRefusedException, IOException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            if (zip.size() > MAX_ENTRIES) {
                throw new PackageRefusedException(400, "The archive has more than " + MAX_ENTRIES + " entries.");
            }
            List<ZipEntry> infoPlists = new ArrayList<>();
            ZipEntry appxManifest = null;
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                requireContained(entry.getName());
                if (INFO_PLIST.matcher(entry.getName()).matches()) {
                    infoPlists.add(entry);
                } else if (entry.getName().equals(APPX_MANIFEST)) {
                    appxManifest = entry;
                }
            }
            if (infoPlists.size() == 1) {
                return ipa(read(zip, infoPlists.get(0)));
            }
            if (infoPlists.size() > 1) {
                throw new PackageRefusedException(400, "The .ipa holds more than one app in Payload/.");
            }
            if (appxManifest != null) {
                return msix(read(zip, appxManifest));
            }
            throw new PackageRefusedException(415,
                    "This archive is neither an .ipa (no Payload/<name>.app/Info.plist) nor an .msix (no AppxManifest.xml).");
        } catch (ZipException e) {
            throw new PackageRefusedException(400, "The archive is malformed: " + e.getMessage());
        }
    }

    /** Entry names that would land outside the archive's root when extracted make the whole archive suspect. */
    private static void requireContained(String name) throws PackageRefusedException {
        String normalized = name.replace('\\', '/');
        boolean climbs = normalized.startsWith("/") || normalized.matches("^[A-Za-z]:.*")
                || List.of(normalized.split("/")).contains("..");
        if (climbs) {
            throw new PackageRefusedException(400, "The archive has an entry outside its root: " + abbreviate(name));
        }
    }

    private static byte[] read(ZipFile zip, ZipEntry entry) throws IOException, PackageRefusedException {
        try (InputStream in = zip.getInputStream(entry)) {
            // The entry's declared size is the archive's claim; count what actually inflates.
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            int read;
            while ((read = in.read(buffer)) > 0) {
                if (out.size() + read > MAX_METADATA_BYTES) {
                    throw new PackageRefusedException(400, entry.getName() + " inflates beyond " + MAX_METADATA_BYTES + " bytes.");
                }
                out.write(buffer, 0, read);
            }
            return out.toByteArray();
        }
    }

    private static PackageInfo ipa(byte[] infoPlist) throws PackageRefusedException {
        NSObject parsed;
        try {
            parsed = PropertyListParser.parse(infoPlist);
        } catch (Exception e) {
            // dd-plist reports malformed input with a variety of checked and unchecked exceptions
            throw new PackageRefusedException(400, "Info.plist is not a property list: " + abbreviate(String.valueOf(e.getMessage())));
        }
        if (!(parsed instanceof NSDictionary info)) {
            throw new PackageRefusedException(400, "Info.plist is not a dictionary.");
        }
        String identifier = string(info, "CFBundleIdentifier")
                .orElseThrow(() -> new PackageRefusedException(400, "Info.plist has no CFBundleIdentifier."));
        String version = string(info, "CFBundleShortVersionString").or(() -> string(info, "CFBundleVersion"))
                .orElseThrow(() -> new PackageRefusedException(400, "Info.plist has neither CFBundleShortVersionString nor CFBundleVersion."));
        String name = string(info, "CFBundleDisplayName").or(() -> string(info, "CFBundleName")).orElse(identifier);
        return info(PackageKind.IPA, identifier, version, name, "");
    }

    private static Optional<String> string(NSDictionary dictionary, String key) {
        return dictionary.get(key) instanceof NSString text && !text.getContent().isBlank()
                ? Optional.of(text.getContent().trim()) : Optional.empty();
    }

    private static PackageInfo msix(byte[] manifest) throws PackageRefusedException {
        Document document = XmlDocuments.parse(manifest, "AppxManifest.xml");
        Element identity = first(document, "Identity")
                .orElseThrow(() -> new PackageRefusedException(400, "AppxManifest.xml has no Identity."));
        String name = identity.getAttribute("Name");
        String publisher = identity.getAttribute("Publisher");
        String version = identity.getAttribute("Version");
        if (name.isBlank() || publisher.isBlank() || version.isBlank()) {
            throw new PackageRefusedException(400, "AppxManifest.xml's Identity needs Name, Publisher and Version.");
        }
        String displayName = first(document, "DisplayName").map(Element::getTextContent).map(String::trim)
                .filter(text -> !text.isEmpty() && !text.startsWith("ms-resource:")).orElse(name);
        String publisherName = first(document, "PublisherDisplayName").map(Element::getTextContent).map(String::trim)
                .filter(text -> !text.isEmpty() && !text.startsWith("ms-resource:")).orElse(publisher);
        return info(PackageKind.MSIX, packageFamilyName(name, publisher), version, displayName, publisherName);
    }

    /**
     * A flat component package has {@code PackageInfo} at its root; a product archive (productbuild) has a
     * {@code Distribution} naming the product (its {@code product} id and version, else its first component's
     * {@code PackageInfo}) and its title.
     */
    private static PackageInfo pkg(XarPackage archive) throws PackageRefusedException, IOException {
        Optional<Document> distribution = xml(archive, "Distribution");
        Optional<Element> packageInfo = packageInfo(archive);
        Optional<Element> product = distribution.flatMap(document -> first(document, "product"))
                .filter(element -> !element.getAttribute("id").isBlank() && !element.getAttribute("version").isBlank());
        Element identity = product.or(() -> packageInfo).orElseThrow(() ->
                new PackageRefusedException(400, "The .pkg has neither a PackageInfo nor a Distribution naming its product."));
        String identifier = identity.getAttribute(identity.getTagName().equals("product") ? "id" : "identifier");
        String version = identity.getAttribute("version");
        if (identifier.isBlank() || version.isBlank()) {
            throw new PackageRefusedException(400, "The .pkg's " + (identity.getTagName().equals("product") ? "Distribution product" : "PackageInfo")
                    + " needs an identifier and a version.");
        }
        String name = distribution.flatMap(document -> first(document, "title")).map(Element::getTextContent).map(String::trim)
                .filter(text -> !text.isEmpty() && !text.startsWith("SU_")).orElse(identifier);
        return info(PackageKind.PKG, identifier, version, name, "");
    }

    /** The root PackageInfo of a component package, else the first component's in a product archive. */
    private static Optional<Element> packageInfo(XarPackage archive) throws PackageRefusedException, IOException {
        Optional<Document> root = xml(archive, "PackageInfo");
        if (root.isPresent()) {
            return Optional.of(root.get().getDocumentElement());
        }
        for (String name : archive.names()) {
            if (name.endsWith(".pkg/PackageInfo")) {
                return xml(archive, name).map(Document::getDocumentElement);
            }
        }
        return Optional.empty();
    }

    private static Optional<Document> xml(XarPackage archive, String name) throws PackageRefusedException, IOException {
        Optional<byte[]> bytes = archive.read(name);
        return bytes.isPresent() ? Optional.of(XmlDocuments.parse(bytes.get(), "The .pkg's " + name)) : Optional.empty();
    }

    private static Optional<Element> first(Document document, String localName) {
        NodeList nodes = document.getElementsByTagNameNS("*", localName);
        return nodes.getLength() == 0 ? Optional.empty() : Optional.of((Element) nodes.item(0));
    }

    /**
     * The package family name Windows derives from a package's identity: its name, an underscore and the publisher
     * id, the first 8 bytes of the SHA-256 of the publisher (UTF-16LE) written 5 bits at a time, padded to 65 bits.
     *
     * @param name the identity's Name
     * @param publisher the identity's Publisher, the signing certificate's subject
     * @return the package family name, such as {@code Contoso.App_8wekyb3d8bbwe}
     */
    static String packageFamilyName(String name, String publisher) {
        byte[] hash;
        try {
            hash = MessageDigest.getInstance("SHA-256").digest(publisher.getBytes(StandardCharsets.UTF_16LE));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        byte[] first8 = new byte[8];
        System.arraycopy(hash, 0, first8, 0, 8);
        BigInteger bits = new BigInteger(1, first8).shiftLeft(1);
        StringBuilder id = new StringBuilder(13);
        for (int group = 0; group < 13; group++) {
            id.append(PUBLISHER_ID_ALPHABET.charAt(bits.shiftRight(60 - 5 * group).intValue() & 31));
        }
        return name + "_" + id;
    }

    /** Checks the compound file header ([MS-CFB] 2.2): the signature, versions, byte order and sector sizes. */
    private static void checkCompoundFileHeader(byte[] head) throws PackageRefusedException {
        if (head.length < 512) {
            throw new PackageRefusedException(400, "The .msi is shorter than a compound file's header.");
        }
        ByteBuffer header = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        int major = Short.toUnsignedInt(header.getShort(26));
        int byteOrder = Short.toUnsignedInt(header.getShort(28));
        int sectorShift = Short.toUnsignedInt(header.getShort(30));
        int miniSectorShift = Short.toUnsignedInt(header.getShort(32));
        boolean valid = byteOrder == 0xFFFE && miniSectorShift == 6
                && (major == 3 && sectorShift == 9 || major == 4 && sectorShift == 12);
        if (!valid) {
            throw new PackageRefusedException(400, "The .msi's compound file header is malformed.");
        }
    }

    private static PackageInfo msi(Map<String, String> fields) throws PackageRefusedException {
        String productCode = field(fields, PRODUCT_CODE);
        if (!GUID.matcher(productCode).matches()) {
            throw new PackageRefusedException(400, PRODUCT_CODE + " must be a GUID in braces, such as {12345678-90AB-CDEF-1234-567890ABCDEF}.");
        }
        String version = field(fields, VERSION);
        if (!MSI_VERSION.matcher(version).matches()) {
            throw new PackageRefusedException(400, VERSION + " must be an MSI product version, such as 1.2.3.");
        }
        String name = field(fields, NAME);
        return info(PackageKind.MSI, productCode.toUpperCase(Locale.ROOT), version, name, fields.getOrDefault(PUBLISHER, "").trim());
    }

    private static String field(Map<String, String> fields, String name) throws PackageRefusedException {
        String value = fields.get(name);
        if (value == null || value.isBlank()) {
            throw new PackageRefusedException(400, "An .msi needs " + PRODUCT_CODE + ", " + VERSION + " and " + NAME
                    + " with the upload (this server does not read the MSI database); " + name + " is missing.");
        }
        return value.trim();
    }

    private static PackageInfo info(PackageKind kind, String identifier, String version, String name, String publisher)
            throws PackageRefusedException {
        try {
            return new PackageInfo(kind, identifier, version, name, publisher);
        } catch (IllegalArgumentException e) {
            throw new PackageRefusedException(400, "The package's " + e.getMessage());
        }
    }

    private static byte[] head(Path file, int length) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(length);
            while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                // read until the header is complete or the file ends
            }
            byte[] head = new byte[buffer.position()];
            buffer.flip().get(head);
            return head;
        }
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String text) {
        return text.length() > 200 ? text.substring(0, 200) + "…" : text;
    }
}
