package dev.shepherd.plugins.windows;

import dev.shepherd.plugins.windows.syncml.Item;
import dev.shepherd.plugins.windows.syncml.SyncCommand;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Alert;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Atomic;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Operation;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Results;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Status;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Verb;
import dev.shepherd.plugins.windows.syncml.SyncHdr;
import dev.shepherd.plugins.windows.syncml.SyncMl;
import dev.shepherd.plugins.windows.syncml.SyncMlReader;
import dev.shepherd.plugins.windows.syncml.SyncMlWriter;
import dev.shepherd.testing.TestTls;

import dev.shepherd.plugins.windows.xml.SafeXml;
import org.w3c.dom.Element;

import java.security.cert.CertificateEncodingException;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The management side of the Windows DM client, as a test's PC: it holds OMA-DM sessions with the server over HTTPS,
 * presenting the certificate it was enrolled with, and answers every command as Windows does: a Status per command
 * (and per command inside an Atomic, which it applies all or nothing, answering 507 for the Atomic, the failing
 * command's own code and 216 for its companions), Results for each Get of a node it has, 404 for a node it lacks.
 *
 * <p>Every command is checked against Microsoft's CSP reference ({@link CspContract}) as the PC's edition and join state
 * see it: a node no CSP has is answered 404, an operation the node does not take 405, a wrong format or a value
 * outside what Windows allows 400, a node the edition lacks 405. Each of these but the edition's refusal is a
 * violation: the session that met it fails the test with what was wrong, unless the test said it expects violations
 * ({@link #expectingViolations()}) and checks {@link #violations()} itself. Refusals can also be configured per node.
 * A session ends when the server sends nothing but Status and Final.
 */
public final class WindowsDmClient {

    /** The values a Windows 11 PC reports, by node. */
    public static Map<String, String> typicalNodes(String deviceId) {
        Map<String, String> nodes = new LinkedHashMap<>();
        nodes.put("./DevInfo/DevId", deviceId);
        nodes.put("./DevInfo/Man", "Microsoft Corporation");
        nodes.put("./DevInfo/Mod", "Surface Laptop 5");
        nodes.put("./DevInfo/DmV", "1.3");
        nodes.put("./DevInfo/Lang", "en-US");
        nodes.put("./DevDetail/SwV", "10.0.22631.3880");
        nodes.put("./DevDetail/OEM", "Microsoft Corporation");
        nodes.put("./DevDetail/FwV", "14.203.143");
        nodes.put("./DevDetail/HwV", "1");
        nodes.put("./DevDetail/DevTyp", "Surface Laptop 5");
        nodes.put("./DevDetail/Ext/Microsoft/DeviceName", "DESKTOP-7QK2M4P");
        nodes.put("./DevDetail/Ext/Microsoft/OSPlatform", "Windows 11 Enterprise");
        nodes.put("./DevDetail/Ext/Microsoft/LocalTime", "2024-07-23T10:15:42.0000000+02:00");
        nodes.put("./DevDetail/Ext/Microsoft/ProcessorArchitecture", "9");
        nodes.put("./DevDetail/Ext/Microsoft/TotalRAM", "16");
        nodes.put("./DevDetail/Ext/Microsoft/TotalStorage", "512");
        nodes.put("./DevDetail/Ext/Microsoft/SMBIOSSerialNumber", "0F3K7Q223453");
        nodes.put("./DevDetail/Ext/WLANMACAddress", "00:15:5D:31:7A:0C");
        nodes.put("./Vendor/MSFT/DeviceStatus/OS/Edition", "4");
        nodes.put("./Vendor/MSFT/DeviceStatus/Compliance/EncryptionCompliance", "1");
        nodes.put("./Vendor/MSFT/DMClient/Provider/Shepherd/Push/ChannelURI",
                "https://db5p.notify.windows.com/?token=AwYAAAB%2bNf3FNlSd1hh");
        nodes.put("./Vendor/MSFT/DMClient/Provider/Shepherd/Push/Status", "0");
        return nodes;
    }

    private final URI url;
    private final String deviceId;
    private final HttpClient http;
    private final Optional<String> forwardedCertificate;
    private final Map<String, String> nodes;
    private final Map<String, Integer> refusals = new HashMap<>();
    private final List<SyncCommand> received = new ArrayList<>();
    private final List<String> executed = new ArrayList<>();
    private final List<MsiJob> msiJobs = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private final CspContract contract = CspContract.microsoft();
    private CspContract.Edition edition = CspContract.Edition.ENTERPRISE;
    private boolean entraJoined;
    private boolean violationsExpected;
    private int sessionId;

    /**
     * @param url the management URL
     * @param deviceId the PC's DeviceID, its SyncHdr Source
     * @param server the server's TLS certificate, which the PC trusts
     * @param certificate the certificate it was enrolled with, presented as TLS client certificate; empty for none
     */
    public WindowsDmClient(URI url, X509Certificate server, String deviceId, Optional<X509Certificate> certificate, Optional<PrivateKey> key)
            throws Exception {
        this(url, server, deviceId, certificate, key, false);
    }

    private WindowsDmClient(URI url, X509Certificate server, String deviceId, Optional<X509Certificate> certificate, Optional<PrivateKey> key,
                            boolean forwarded) throws Exception {
        this.url = url;
        this.deviceId = deviceId;
        this.nodes = new LinkedHashMap<>(typicalNodes(deviceId));
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(tls(server, forwarded ? Optional.empty() : certificate, key)).build();
        this.forwardedCertificate = forwarded ? certificate.map(WindowsDmClient::rfc9440) : Optional.empty();
    }

    /** A PC behind a TLS-terminating proxy, which passes the certificate on in the RFC 9440 {@code Client-Cert} header. */
    public static WindowsDmClient behindProxy(URI url, X509Certificate server, String deviceId, X509Certificate certificate) throws Exception {
        return new WindowsDmClient(url, server, deviceId, Optional.of(certificate), Optional.empty(), true);
    }

    public String deviceId() {
        return deviceId;
    }

    /** Sets a node's value on the PC, such as the push channel WNS gave it. */
    public WindowsDmClient withNode(String locUri, String value) {
        nodes.put(locUri, value);
        return this;
    }

    /** Makes the PC answer a status code other than 200 to every command on a node. */
    public WindowsDmClient refuse(String locUri, int code) {
        refusals.put(locUri, code);
        return this;
    }

    /** Makes the PC one of another Windows edition (Enterprise unless told), which it reports in DeviceStatus too. */
    public WindowsDmClient asEdition(CspContract.Edition edition) {
        this.edition = edition;
        nodes.put("./Vendor/MSFT/DeviceStatus/OS/Edition", contract.sku(edition));
        return this;
    }

    /** Makes the PC one joined to Microsoft Entra ID; PCs are not unless told, as Shepherd enrolls them. */
    public WindowsDmClient entraJoined() {
        this.entraJoined = true;
        return this;
    }

    /** The test checks {@link #violations()} itself: sessions that meet violations do not fail it. */
    public WindowsDmClient expectingViolations() {
        this.violationsExpected = true;
        return this;
    }

    /** @return every command that broke Microsoft's CSP reference, with what was wrong, in order */
    public List<String> violations() {
        return List.copyOf(violations);
    }

    /** @return the node's current value on the PC */
    public Optional<String> node(String locUri) {
        return Optional.ofNullable(nodes.get(locUri));
    }

    /** @return every command the server sent, in order, Atomics with their contents */
    public List<SyncCommand> received() {
        return List.copyOf(received);
    }

    /** @return the nodes Exec was carried out on, in order */
    public List<String> executed() {
        return List.copyOf(executed);
    }

    /** Holds a session the PC opens on its schedule (Alert 1201). */
    public List<SyncMl> session() throws Exception {
        return session(List.of());
    }

    /**
     * An MSI job the server started with EnterpriseDesktopAppManagement's {@code DownloadInstall}, as the PC read it from
     * the {@code MsiInstallJob} document: the product, its version, where to download it and the SHA-256 it must have.
     */
    public record MsiJob(String productCode, String version, URI contentUrl, String fileHash) {
    }

    /** HRESULTs Windows reports in the install alert: the package's hash is wrong; the download was refused. */
    static final String BAD_DIGEST = Integer.toString((int) 0x80091007L);
    static final String DOWNLOAD_REFUSED = Integer.toString((int) 0x80190193L);

    /**
     * Carries out the MSI jobs the server started, as Windows does in the background: downloads each package over HTTPS
     * with this PC's TLS identity, checks its SHA-256 against the job's FileHash, installs it when they match, and
     * reports each outcome in a session of its own with the install alert.
     *
     * @return per product code, the HRESULT reported: 0 when installed
     */
    public Map<String, String> runMsiJobs() throws Exception {
        Map<String, String> outcomes = new LinkedHashMap<>();
        List<MsiJob> jobs = List.copyOf(msiJobs);
        msiJobs.clear();
        for (MsiJob job : jobs) {
            HttpResponse<byte[]> download = http.send(HttpRequest.newBuilder(job.contentUrl()).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            String outcome;
            if (download.statusCode() != 200) {
                outcome = DOWNLOAD_REFUSED;
            } else {
                String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(download.body()));
                outcome = digest.equalsIgnoreCase(job.fileHash()) ? "0" : BAD_DIGEST;
            }
            outcomes.put(job.productCode(), outcome);
            msiInstalled(job.productCode(), job.version(), outcome);
        }
        return outcomes;
    }

    /** Reads an MsiInstallJob sent to a product's DownloadInstall node, as the EnterpriseDesktopAppManagement CSP does. */
    private static Optional<MsiJob> msiJob(String node, Optional<String> data) {
        String prefix = "./Device/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/";
        if (!node.startsWith(prefix) || !node.endsWith("/DownloadInstall") || data.isEmpty()) {
            return Optional.empty();
        }
        String productCode = node.substring(prefix.length(), node.length() - "/DownloadInstall".length())
                .replace("%7B", "{").replace("%7D", "}");
        try {
            Element job = SafeXml.parse(data.get()).getDocumentElement();
            Element product = SafeXml.descendant(job, null, "Product").orElseThrow(() -> new IllegalStateException("no Product"));
            String url = SafeXml.descendant(job, null, "ContentURL").orElseThrow(() -> new IllegalStateException("no ContentURL"))
                    .getTextContent().trim();
            String hash = SafeXml.descendant(job, null, "FileHash").orElseThrow(() -> new IllegalStateException("no FileHash"))
                    .getTextContent().trim();
            return Optional.of(new MsiJob(productCode, product.getAttribute("Version"), URI.create(url), hash));
        } catch (RuntimeException e) {
            throw new IllegalStateException("the MsiInstallJob for " + productCode + " is not what Windows takes: " + e.getMessage(), e);
        }
    }

    /** The user removes the work account: the PC says so with generic alert 1226 in a last session. */
    public List<SyncMl> unenroll() throws Exception {
        return session(List.of(new Alert("2", "1226", List.of(new Item(Optional.empty(), Optional.empty(), Optional.of("int"),
                Optional.of("com.microsoft:mdm.unenrollment.userrequest"), Optional.of("1"))))));
    }

    /**
     * The MSI job the server sent finished: the PC holds the product's Version node and says so with the generic alert
     * of Microsoft's EnterpriseDesktopAppManagement example (1224, {@code win32csp_install}, the HRESULT as its data).
     */
    public List<SyncMl> msiInstalled(String productCode, String version, String hresult) throws Exception {
        String node = "./Device/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/" + productCode.replace("{", "%7B").replace("}", "%7D");
        if (hresult.equals("0")) {
            nodes.put(node, "");
            nodes.put(node + "/Version", version);
        }
        return session(List.of(new Alert("2", "1224", List.of(new Item(Optional.empty(), Optional.of(node + "/DownloadInstall"),
                Optional.of("int"), Optional.of("Reversed-Domain-Name:com.microsoft.mdm.win32csp_install"), Optional.of(hresult))))));
    }

    /**
     * The MSIX HostedInstall the server started finished: on success the PC lists the package under its family in
     * EnterpriseModernAppManagement's inventory ({@code AppManagement/nonStore/{family}/{full name}/Version}), and either
     * way it says so with the alert of Microsoft's example (1226, {@code EnterpriseHostedAppInstall.result}, the
     * HRESULT as its data).
     */
    public List<SyncMl> msixInstalled(String family, String fullName, String version, String hresult) throws Exception {
        String installation = "./Device/Vendor/MSFT/EnterpriseModernAppManagement/AppInstallation/" + family + "/HostedInstall";
        if (!executed.contains(installation)) {
            throw new IllegalStateException("the server never started a HostedInstall of " + family);
        }
        if (hresult.equals("0")) {
            String familyNode = "./Device/Vendor/MSFT/EnterpriseModernAppManagement/AppManagement/nonStore/" + family;
            // An interior node's value is the names of its children, as a Get of it answers them.
            nodes.put(familyNode, fullName);
            nodes.put(familyNode + "/" + fullName, "Version");
            nodes.put(familyNode + "/" + fullName + "/Version", version);
        }
        return session(List.of(new Alert("2", "1226", List.of(new Item(Optional.empty(), Optional.of(installation), Optional.of("int"),
                Optional.of("Reversed-Domain-Name:com.microsoft.mdm.EnterpriseHostedAppInstall.result"), Optional.of(hresult))))));
    }

    private List<SyncMl> session(List<SyncCommand> alerts) throws Exception {
        sessionId++;
        List<SyncCommand> first = new ArrayList<>();
        first.add(new Alert("1", "1201", List.of()));
        first.addAll(alerts);
        List<Item> devInfo = new ArrayList<>();
        for (String node : List.of("./DevInfo/DevId", "./DevInfo/Man", "./DevInfo/Mod", "./DevInfo/DmV", "./DevInfo/Lang")) {
            devInfo.add(Item.source(node, Optional.empty(), nodes.get(node)));
        }
        first.add(new Operation(Verb.REPLACE, Integer.toString(first.size() + 1), devInfo));
        List<SyncMl> answers = new ArrayList<>();
        int msgId = 1;
        SyncMl answer = exchange(message(msgId, first));
        answers.add(answer);
        while (answer.commands().stream().anyMatch(command -> !(command instanceof Status))) {
            if (answers.size() > 50) {
                throw new IllegalStateException("the server does not end the session");
            }
            msgId++;
            answer = exchange(message(msgId, reply(answer)));
            answers.add(answer);
        }
        if (!violations.isEmpty() && !violationsExpected) {
            throw new AssertionError("the server sent what Windows refuses or ignores, by Microsoft's CSP reference:\n  "
                    + String.join("\n  ", violations));
        }
        return answers;
    }

    private SyncMl message(int msgId, List<SyncCommand> commands) {
        return new SyncMl(new SyncHdr(Integer.toHexString(sessionId).toUpperCase(), Integer.toString(msgId), url.toString(), deviceId,
                Optional.of(65536)), commands, true);
    }

    private SyncMl exchange(SyncMl message) throws Exception {
        HttpResponse<byte[]> response = post(SyncMlWriter.write(message));
        if (response.statusCode() != 200) {
            throw new IllegalStateException("the server answered " + response.statusCode() + ": " + new String(response.body()));
        }
        if (!response.headers().firstValue("Content-Type").orElse("").equals(SyncMl.CONTENT_TYPE)) {
            throw new IllegalStateException("not SyncML: " + response.headers().firstValue("Content-Type"));
        }
        return SyncMlReader.read(response.body());
    }

    /** Sends any bytes as a message, as a broken or hostile client would. */
    public HttpResponse<byte[]> post(byte[] body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(url).header("Content-Type", SyncMl.CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        forwardedCertificate.ifPresent(certificate -> request.header("Client-Cert", certificate));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The PC's next message: a Status for the server's header and every command, Results for the Gets. */
    private List<SyncCommand> reply(SyncMl answer) {
        String msgRef = answer.header().msgId();
        List<SyncCommand> out = new ArrayList<>();
        int[] cmdId = {0};
        out.add(new Status(Integer.toString(++cmdId[0]), msgRef, "0", "SyncHdr", "200"));
        for (SyncCommand command : answer.commands()) {
            if (command instanceof Status) {
                continue;
            }
            received.add(command);
            if (command instanceof Atomic atomic) {
                atomic(atomic, msgRef, out, cmdId);
            } else if (command instanceof Operation operation) {
                int code = code(operation, locUri -> Optional.ofNullable(nodes.get(locUri)), List.of());
                out.add(new Status(Integer.toString(++cmdId[0]), msgRef, operation.cmdId(), operation.name(), Integer.toString(code)));
                if (code == 200 && operation.verb() == Verb.GET) {
                    String node = operation.items().get(0).locUri().orElseThrow();
                    out.add(new Results(Integer.toString(++cmdId[0]), msgRef, operation.cmdId(),
                            List.of(Item.source(node, Optional.of("chr"), nodes.get(node)))));
                } else if (code == 200) {
                    apply(operation);
                }
            } else {
                out.add(new Status(Integer.toString(++cmdId[0]), msgRef, command.cmdId(), command.name(), "406"));
            }
        }
        return out;
    }

    private void atomic(Atomic atomic, String msgRef, List<SyncCommand> out, int[] cmdId) {
        Map<SyncCommand, Integer> codes = new LinkedHashMap<>();
        // What the Atomic has set so far, as the commands after it see it.
        Map<String, String> staged = new HashMap<>(nodes);
        List<SyncCommand> commands = atomic.commands();
        for (int i = 0; i < commands.size(); i++) {
            SyncCommand inner = commands.get(i);
            if (inner instanceof Operation operation && operation.verb() != Verb.GET) {
                List<String> later = commands.subList(i + 1, commands.size()).stream().filter(Operation.class::isInstance)
                        .map(next -> ((Operation) next).items().get(0).locUri().orElse("")).toList();
                int code = code(operation, node -> Optional.ofNullable(staged.get(contract.canonical(node))).or(
                        () -> Optional.ofNullable(staged.get(node))), later);
                codes.put(inner, code);
                if (code == 200 && (operation.verb() == Verb.ADD || operation.verb() == Verb.REPLACE)) {
                    staged.put(contract.canonical(operation.items().get(0).locUri().orElse("")), operation.items().get(0).data().orElse(""));
                }
            } else {
                codes.put(inner, 500);
            }
        }
        boolean failed = codes.values().stream().anyMatch(code -> code != 200);
        out.add(new Status(Integer.toString(++cmdId[0]), msgRef, atomic.cmdId(), "Atomic", failed ? "507" : "200"));
        codes.forEach((inner, code) -> out.add(new Status(Integer.toString(++cmdId[0]), msgRef, inner.cmdId(), inner.name(),
                Integer.toString(failed && code == 200 ? 216 : code))));
        if (!failed) {
            atomic.commands().forEach(inner -> apply((Operation) inner));
        }
    }

    private int code(Operation operation, Function<String, Optional<String>> values, List<String> later) {
        Item item = operation.items().get(0);
        String node = item.locUri().orElse("");
        if (refusals.containsKey(node)) {
            return refusals.get(node);
        }
        CspContract.Verdict verdict = contract.check(operation.verb().element(), node, item.format(), item.data(), edition, entraJoined,
                values, later);
        verdict.violation().ifPresent(violations::add);
        if (verdict.code() != 200) {
            return verdict.code();
        }
        return switch (operation.verb()) {
            case GET, DELETE -> nodes.containsKey(node) ? 200 : 404;
            case ADD -> nodes.containsKey(node) ? 418 : 200;
            default -> 200;
        };
    }

    private void apply(Operation operation) {
        String node = operation.items().get(0).locUri().orElseThrow();
        switch (operation.verb()) {
            case ADD, REPLACE -> nodes.put(node, operation.items().get(0).data().orElse(""));
            case DELETE -> nodes.keySet().removeIf(path -> path.equals(node) || path.startsWith(node + "/")); // the node and its children
            case EXEC -> {
                executed.add(node);
                msiJob(node, operation.items().get(0).data()).ifPresent(msiJobs::add);
            }
            default -> {
            }
        }
    }

    private static SSLContext tls(X509Certificate server, Optional<X509Certificate> certificate, Optional<PrivateKey> key) {
        return certificate.isPresent() && key.isPresent()
                ? TestTls.identified(certificate.get(), key.get(), server)
                : TestTls.trusting(server);
    }

    private static String rfc9440(X509Certificate certificate) {
        try {
            return ":" + java.util.Base64.getEncoder().encodeToString(certificate.getEncoded()) + ":";
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
