package dev.shepherd.plugins.appstore.privatepackages;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.InflaterInputStream;
import java.util.zip.ZipException;

import static java.util.Objects.requireNonNull;

/**
 * A macOS installer package, a xar archive: a 28-byte (or longer) big-endian header starting {@code xar!}, a
 * zlib-compressed XML table of contents, then the heap the table's {@code <data>} offsets point into. Only the small
 * metadata files are read ({@code PackageInfo}, {@code Distribution}), each bounded, never the payload.
 */
final class XarPackage {

    static final int MAX_TOC_BYTES = 4 * 1024 * 1024;

    private final Path file;
    private final long fileSize;
    private final long heapStart;
    private final Map<String, Element> files;

    private XarPackage(Path file, long fileSize, long heapStart, Map<String, Element> files) {
        this.file = file;
        this.fileSize = fileSize;
        this.heapStart = heapStart;
        this.files = files;
    }

    /**
     * Reads a package's header and table of contents.
     *
     * @param file the package
     * @return the archive
     * @throws PackageRefusedException when it is not a well-formed xar archive within the bounds
     * @throws IOException when the file cannot be read
     */
    static XarPackage open(Path file) throws PackageRefusedException, IOException {
        requireNonNull(file, "file is null");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            ByteBuffer header = ByteBuffer.allocate(28);
            if (channel.read(header, 0) < 28) {
                throw new PackageRefusedException(400, "The .pkg is shorter than a xar header.");
            }
            header.flip();
            header.getInt(); // xar!
            int headerSize = Short.toUnsignedInt(header.getShort());
            int version = Short.toUnsignedInt(header.getShort());
            long tocCompressed = header.getLong();
            long tocUncompressed = header.getLong();
            if (version != 1 || headerSize < 28 || tocCompressed <= 0 || tocCompressed > MAX_TOC_BYTES
                    || tocUncompressed <= 0 || tocUncompressed > MAX_TOC_BYTES || headerSize + tocCompressed > size) {
                throw new PackageRefusedException(400, "The .pkg's xar header is malformed or its table of contents is larger than "
                        + MAX_TOC_BYTES + " bytes.");
            }
            byte[] toc = inflate(Channels.newInputStream(channel.position(headerSize)), tocCompressed, MAX_TOC_BYTES, "table of contents");
            Document document = XmlDocuments.parse(toc, "The .pkg's table of contents");
            Map<String, Element> files = new LinkedHashMap<>();
            collect(document.getDocumentElement(), "", files);
            return new XarPackage(file, size, headerSize + tocCompressed, files);
        }
    }

    /** Every file by its path in the archive, so that both {@code PackageInfo} and {@code app.pkg/PackageInfo} are found. */
    private static void collect(Element parent, String prefix, Map<String, Element> files) {
        NodeList children = parent.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            Node child = children.item(i);
            if (!(child instanceof Element element)) {
                continue;
            }
            if (element.getTagName().equals("file")) {
                String name = childText(element, "name").orElse("");
                if (!name.isEmpty() && files.size() < PackageInspector.MAX_ENTRIES) {
                    files.put(prefix + name, element);
                    collect(element, prefix + name + "/", files);
                }
            } else if (element.getTagName().equals("toc") || element.getTagName().equals("xar")) {
                collect(element, prefix, files);
            }
        }
    }

    /**
     * The names of the archive's files.
     *
     * @return paths such as {@code Distribution} or {@code app.pkg/PackageInfo}
     */
    Iterable<String> names() {
        return files.keySet();
    }

    /**
     * One small file's content.
     *
     * @param name its path in the archive
     * @return the content, or empty when there is no such file
     * @throws PackageRefusedException when its data lies outside the archive, is encoded otherwise than zlib or not at
     *                                 all, or inflates beyond {@link PackageInspector#MAX_METADATA_BYTES}
     * @throws IOException when the file cannot be read
     */
    Optional<byte[]> read(String name) throws PackageRefusedException, IOException {
        Element entry = files.get(name);
        if (entry == null) {
            return Optional.empty();
        }
        Element data = childElement(entry, "data").orElseThrow(() -> new PackageRefusedException(400, name + " in the .pkg has no data."));
        long offset = number(data, "offset", name);
        long length = number(data, "length", name);
        if (offset < 0 || length < 0 || length > PackageInspector.MAX_METADATA_BYTES || heapStart + offset + length > fileSize) {
            throw new PackageRefusedException(400, name + " in the .pkg lies outside the archive or is too large.");
        }
        String encoding = childElement(data, "encoding").map(element -> element.getAttribute("style")).orElse("application/octet-stream");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            InputStream in = Channels.newInputStream(channel.position(heapStart + offset));
            return Optional.of(switch (encoding) {
                // xar's "application/x-gzip" is zlib (RFC 1950), as its own tools write it
                case "application/x-gzip" -> inflate(in, length, PackageInspector.MAX_METADATA_BYTES, name);
                case "application/octet-stream" -> in.readNBytes((int) length);
                default -> throw new PackageRefusedException(400, name + " in the .pkg is encoded as " + encoding + ", which is not read here.");
            });
        }
    }

    private static byte[] inflate(InputStream in, long compressed, int limit, String what) throws PackageRefusedException, IOException {
        InputStream bounded = new ByteArrayInputStream(in.readNBytes((int) compressed));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InflaterInputStream inflater = new InflaterInputStream(bounded)) {
            byte[] buffer = new byte[8192];
            int read;
            while ((read = inflater.read(buffer)) > 0) {
                if (out.size() + read > limit) {
                    throw new PackageRefusedException(400, "The .pkg's " + what + " inflates beyond " + limit + " bytes.");
                }
                out.write(buffer, 0, read);
            }
        } catch (ZipException e) {
            throw new PackageRefusedException(400, "The .pkg's " + what + " is not zlib data: " + e.getMessage());
        }
        return out.toByteArray();
    }

    private static long number(Element data, String child, String name) throws PackageRefusedException {
        try {
            return Long.parseLong(childText(data, child).orElse("").trim());
        } catch (NumberFormatException e) {
            throw new PackageRefusedException(400, name + " in the .pkg has no valid " + child + ".");
        }
    }

    private static Optional<String> childText(Element parent, String tag) {
        return childElement(parent, tag).map(Element::getTextContent);
    }

    private static Optional<Element> childElement(Element parent, String tag) {
        NodeList children = parent.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            if (children.item(i) instanceof Element element && element.getTagName().equals(tag)) {
                return Optional.of(element);
            }
        }
        return Optional.empty();
    }
}
