package dev.shepherd.plugins.windows.management;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandBus;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.http.DeviceEndpoint;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.IssuedCertificate;
import dev.shepherd.plugins.windows.csp.CspOperation;
import dev.shepherd.plugins.windows.syncml.Item;
import dev.shepherd.plugins.windows.syncml.StatusCodes;
import dev.shepherd.plugins.windows.syncml.SyncCommand;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Alert;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Malformed;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Operation;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Results;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Status;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Verb;
import dev.shepherd.plugins.windows.syncml.SyncHdr;
import dev.shepherd.plugins.windows.syncml.SyncMl;
import dev.shepherd.plugins.windows.syncml.SyncMlException;
import dev.shepherd.plugins.windows.syncml.SyncMlReader;
import dev.shepherd.plugins.windows.syncml.SyncMlWriter;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The OMA-DM management endpoint Windows PCs hold sessions with, {@code /mdm/windows/ManagementServer/MDM.svc}: SyncML
 * 1.2 over HTTPS POST, each message answered by the next of the server.
 *
 * <p>A PC is authenticated by the TLS client certificate the kernel CA issued it at enrollment (presented directly or
 * passed on by a trusted proxy), which is bound to its kernel device and its DeviceID: the SyncHdr's Source must be that
 * DeviceID, so no PC can speak for another. The device is the one the certificate was issued to, never one found by the
 * DeviceID a PC asserts: a PC enrolled asserting another's DeviceID has a record of its own and shares nothing with it
 * (its state is kept under {@link #storageKey}). The first session with a certificate binds it to its device in the CA,
 * which revokes the device's earlier certificate (after a renewal): one device, one live identity. A session opens with Alert 1201 (the PC's schedule) or 1200 (after a push); the server
 * answers every command of the PC with a Status, adds the commands it has for the PC, and ends the session by sending
 * Status and Final alone. Results and statuses are written to the kernel the moment they arrive.
 *
 * <p>What cannot be read as SyncML is answered 400 in plain text when there is no readable SyncHdr to address an
 * answer to, and otherwise with a SyncML message whose Status refuses the SyncHdr (400); a command the server does not
 * know gets Status 400 on its own and the rest of the message is processed, as Windows itself does.
 */
@Extension
public final class ManagementEndpoint implements DeviceEndpoint {

    /** The path the provisioning document gives the PC, below the plugin's mount point. */
    public static final String PATH = "/ManagementServer/MDM.svc";
    /** The hardware-id kind of a Windows PC: its DeviceID, as DevInfo/DevId and the SyncHdr Source report it. */
    public static final String HARDWARE_ID = "windowsDeviceId";
    /** Where the PC's WNS channel is kept for the push service. */
    public static final String CHANNEL_KEY = "wns-channel/";
    /** The generic alert a PC sends when its user removes the work account. */
    public static final String USER_UNENROLLMENT = "com.microsoft:mdm.unenrollment.userrequest";
    /** Windows packs more than this into no message it receives anyway; larger bodies are refused 413 by the kernel. */
    static final int MAX_MESSAGE_BYTES = 512 * 1024;
    /** Kernel commands handed out per message, so a long queue is spread over several round trips. */
    static final int COMMANDS_PER_MESSAGE = 8;
    private static final Logger log = LoggerFactory.getLogger(ManagementEndpoint.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DeviceRegistry registry;
    private final CommandBus commands;
    private final CertificateAuthority authority;
    private final ServerAddress address;
    private final PluginStorage storage;
    private final Sessions sessions;
    private final WindowsCommandTranslator translator;

    @Inject
    public ManagementEndpoint(DeviceRegistry registry, CommandBus commands, CertificateAuthority authority, PluginStorage storage,
                              Sessions sessions, ServerAddress address, WindowsCommandTranslator translator) {
        this.address = requireNonNull(address, "address is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.commands = requireNonNull(commands, "commands is null");
        this.authority = requireNonNull(authority, "authority is null");
        this.storage = requireNonNull(storage, "storage is null");
        this.sessions = requireNonNull(sessions, "sessions is null");
        this.translator = requireNonNull(translator, "translator is null");
    }

    @Override
    public String path() {
        return PATH;
    }

    @Override
    public int maxBodyBytes() {
        return MAX_MESSAGE_BYTES;
    }

    @Override
    public DeviceResponse handle(DeviceRequest request) {
        if (!request.path().equalsIgnoreCase(PATH)) {
            return DeviceResponse.text(404, "the OMA-DM management endpoint is " + PATH);
        }
        if (!request.method().equals("POST")) {
            return DeviceResponse.text(405, "OMA-DM messages are sent with POST").withHeader("Allow", "POST");
        }
        if (request.clientCertificates().isEmpty()) {
            return DeviceResponse.text(401, "no device identity: present the certificate issued at enrollment as TLS client certificate");
        }
        Optional<IssuedCertificate> issued = authority.verify(request.clientCertificates());
        if (issued.isEmpty()) {
            return DeviceResponse.text(403, "the client certificate was not issued by this server, has expired or was revoked");
        }
        SyncMl message;
        try {
            message = SyncMlReader.read(request.body());
        } catch (SyncMlException e) {
            if (e.header().isEmpty()) {
                return DeviceResponse.problem(400, "Malformed SyncML message", e.getMessage());
            }
            Optional<Device> device = deviceOf(issued.get(), e.header().get().source());
            if (device.isEmpty()) {
                return forbidden(e.header().get().source());
            }
            log.info("Refused the SyncHdr of PC {}: {}", e.header().get().source(), e.getMessage());
            SyncHdr header = e.header().get();
            return syncMl(new SyncMl(header.reply(), List.of(new Status("1", header.msgId(), "0", "SyncHdr",
                    Integer.toString(StatusCodes.BAD_REQUEST))), true));
        }
        Optional<Device> device = deviceOf(issued.get(), message.header().source());
        if (device.isEmpty()) {
            return forbidden(message.header().source());
        }
        SyncHdr header = message.header();
        boolean opening = message.commands().stream().anyMatch(command -> command instanceof Alert alert
                && (alert.data().equals("1200") || alert.data().equals("1201")));
        Session session = sessions.session(storageKey(device.get()), header.sessionId(), device.get().id(), opening && header.msgId().equals("1"));
        synchronized (session) {
            Optional<byte[]> repeated = session.answered(header.msgId());
            if (repeated.isPresent()) {
                return DeviceResponse.of(200, SyncMl.CONTENT_TYPE, repeated.get());
            }
            byte[] answer = SyncMlWriter.write(answer(session, message, opening, issued.get(), ended(device.get())));
            session.answer(header.msgId(), answer);
            return DeviceResponse.of(200, SyncMl.CONTENT_TYPE, answer);
        }
    }

    /**
     * The device the certificate was issued to, if it speaks for the DeviceID the message names; the certificate is
     * bound to it in the CA at its first use. A retired or wiped PC still gets here until it has answered the command
     * that ends its management (the kernel hands it nothing else), after which its certificate is revoked.
     */
    private Optional<Device> deviceOf(IssuedCertificate certificate, String windowsDeviceId) {
        String deviceId = certificate.bindings().get("deviceId");
        if (!windowsDeviceId.equals(certificate.bindings().get(HARDWARE_ID)) || deviceId == null) {
            return Optional.empty();
        }
        Optional<Device> device = registry.find(DeviceId.parse(deviceId))
                .filter(found -> found.platform().equals(Platform.WINDOWS));
        if (device.isPresent()) {
            try {
                List<String> revoked = authority.bindToDevice(certificate.serialNumber(), device.get().id());
                if (!revoked.isEmpty()) {
                    log.info("PC {} speaks with certificate {}; its earlier certificates {} are revoked", device.get().id(),
                            certificate.serialNumber(), revoked);
                }
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        return device;
    }

    /**
     * Where the plugin keeps a PC's state (push channel, installed settings): under its DeviceID when its record holds
     * it, otherwise under its kernel id, so that a PC asserting another's DeviceID shares nothing with it.
     */
    public static String storageKey(Device device) {
        String windowsDeviceId = device.hardwareIds().get(HARDWARE_ID);
        return windowsDeviceId != null ? windowsDeviceId : "Device:" + device.id();
    }

    /** Whether an admin has ended the PC's management (retired or wiped it). */
    private static boolean ended(Device device) {
        return device.status() == DeviceStatus.RETIRED || device.status() == DeviceStatus.WIPED;
    }

    private static DeviceResponse forbidden(String windowsDeviceId) {
        return DeviceResponse.text(403, "this certificate does not speak for a managed PC with DeviceID " + windowsDeviceId);
    }

    /**
     * @param ended whether the PC's management has ended: it is then only handed its final command, reports nothing, and
     *        leaves (its certificate revoked) as soon as it has answered that command, whatever the answer
     */
    private SyncMl answer(Session session, SyncMl message, boolean opening, IssuedCertificate certificate, boolean ended) {
        SyncHdr header = message.header();
        List<SyncCommand> out = new ArrayList<>();
        out.add(status(session, header.msgId(), "0", "SyncHdr", StatusCodes.OK));
        Set<InFlight> answered = new LinkedHashSet<>();
        boolean unenrolled = false;
        // Nodes holding the versions of apps the PC reports installed in this message (an MSIX package's family node
        // first, which lists its packages): read back below.
        List<String> versionReads = new ArrayList<>();
        for (SyncCommand command : message.commands()) {
            if (command instanceof Status status) {
                session.answering(status.cmdRef()).ifPresent(inFlight -> {
                    inFlight.status(status.cmdRef(), status.code().orElse(StatusCodes.BAD_REQUEST));
                    answered.add(inFlight);
                });
            } else if (command instanceof Results results) {
                session.answering(results.cmdRef()).ifPresent(inFlight -> {
                    results.items().forEach(item -> item.locUri().ifPresent(uri -> inFlight.value(uri, item.data().orElse(""))));
                    answered.add(inFlight);
                });
                out.add(status(session, header.msgId(), command.cmdId(), command.name(), StatusCodes.OK));
            } else if (command instanceof Alert alert) {
                // Microsoft documents the MSI install result both as 1226 (OMA-DM's generic alert) and as 1224.
                unenrolled |= (alert.data().equals("1226") || alert.data().equals("1224")) && genericAlert(session, alert, versionReads);
                out.add(status(session, header.msgId(), command.cmdId(), command.name(),
                        Set.of("1200", "1201", "1222", "1224", "1226").contains(alert.data()) ? StatusCodes.OK : StatusCodes.NOT_SUPPORTED));
            } else if (command instanceof Malformed malformed) {
                log.info("PC {} sent a malformed {}: {}", session.storageKey(), malformed.name(), malformed.problem());
                if (!malformed.name().equals("Status")) {
                    out.add(status(session, header.msgId(), command.cmdId(), command.name(), StatusCodes.BAD_REQUEST));
                }
            } else {
                // The PC reports its DevInfo with Replace at the start of a session; it has no business commanding the server.
                boolean report = command instanceof Operation operation && operation.verb() == Verb.REPLACE;
                out.add(status(session, header.msgId(), command.cmdId(), command.name(), report ? StatusCodes.OK : StatusCodes.NOT_SUPPORTED));
            }
        }
        for (InFlight inFlight : answered) {
            if (inFlight.purpose() == InFlight.Purpose.APP_VERSION) {
                // An MSIX family's node named its packages: their versions are read next.
                versionReads.addAll(InventoryNodes.msixVersionNodes(inFlight.values()));
            }
            unenrolled |= conclude(session, inFlight);
            unenrolled |= ended && inFlight.purpose() == InFlight.Purpose.COMMAND;
        }
        if (unenrolled) {
            // The PC leaves management: its identity is worth nothing from now on, and it is offered no more commands.
            authority.revoke(certificate.serialNumber());
            sessions.forget(session.storageKey());
            if (ended) {
                forgetDevice(session);
                log.info("PC {} answered the command that ends its management; its certificate is revoked", session.device());
            }
            return new SyncMl(header.reply(), out, true);
        }
        if (opening && header.msgId().equals("1") && !ended) {
            registry.recordCheckIn(session.device(), Instant.now());
            InFlight push = new InFlight(InFlight.Purpose.PUSH_CHANNEL, Optional.empty());
            out.add(session.send(WindowsCommands.toCommand(CspOperation.get(WindowsCommands.PUSH_CHANNEL)), push));
            out.add(session.send(WindowsCommands.toCommand(CspOperation.get(WindowsCommands.PUSH_STATUS)), push));
            if (storage.get(inventoriedKey(session)).isEmpty()) {
                InFlight inventory = new InFlight(InFlight.Purpose.INVENTORY, Optional.empty());
                InventoryNodes.gets().forEach(get -> out.add(session.send(WindowsCommands.toCommand(get), inventory)));
            }
        }
        if (!versionReads.isEmpty() && !ended) {
            InFlight versions = new InFlight(InFlight.Purpose.APP_VERSION, Optional.empty());
            versionReads.forEach(node -> out.add(session.send(WindowsCommands.toCommand(CspOperation.get(node)), versions)));
        }
        addCommands(session, out, header.maxMsgSize().orElse(MAX_MESSAGE_BYTES));
        if (ended && session.awaitingCommands() == 0 && out.stream().allMatch(Status.class::isInstance)) {
            // Nothing left for a retired or wiped PC (its final command answered, cancelled or impossible): it leaves now.
            authority.revoke(certificate.serialNumber());
            sessions.forget(session.storageKey());
            forgetDevice(session);
            log.info("PC {} has no final command left to take; its certificate is revoked", session.device());
        }
        return new SyncMl(header.reply(), out, true);
    }

    /**
     * Handles a 1226 generic alert; returns whether the PC is leaving management.
     *
     * @param versionReads where the nodes to read an installed app's version from are added
     */
    private boolean genericAlert(Session session, Alert alert, List<String> versionReads) {
        boolean leaving = false;
        for (Item item : alert.items()) {
            String type = item.type().orElse("");
            if (type.equals(USER_UNENROLLMENT)) {
                registry.recordUnenrolled(session.device(), "the user removed the work account (" + USER_UNENROLLMENT + ")");
                forgetDevice(session);
                log.info("PC {} unenrolled at its user's request", session.storageKey());
                leaving = true;
            } else if (type.endsWith("com.microsoft.mdm.win32csp_install") && item.source().isPresent()) {
                // An MSI installation finished: its result (an HRESULT, 0 for success) is reported against its product code.
                String node = item.source().get();
                String[] path = node.split("/");
                if (path.length >= 2) {
                    String productCode = path[path.length - 2].replace("%7B", "{").replace("%7D", "}").replace("%7b", "{")
                            .replace("%7d", "}").toUpperCase(Locale.ROOT);
                    registry.recordInventory(session.device(), Map.of("windows.msi." + productCode + ".result", item.data().orElse("")));
                    if (item.data().map(String::trim).filter("0"::equals).isPresent() && InventoryNodes.isProductCode(productCode)) {
                        versionReads.add(InventoryNodes.msiVersionNode(productCode));
                    }
                }
            } else if (type.endsWith("com.microsoft.mdm.EnterpriseHostedAppInstall.result") && item.source().isPresent()) {
                // An MSIX HostedInstall finished (EnterpriseModernAppManagement's alert): its result, 0 for success, is
                // reported against the package family name; the installed version is read from the family's packages.
                String[] path = item.source().get().split("/");
                if (path.length >= 2 && InventoryNodes.isPackageFamily(path[path.length - 2])) {
                    String family = path[path.length - 2];
                    registry.recordInventory(session.device(), Map.of("windows.msix." + family + ".result", item.data().orElse("")));
                    if (item.data().map(String::trim).filter("0"::equals).isPresent()) {
                        versionReads.add(InventoryNodes.msixPackagesNode(family));
                    }
                }
            } else {
                log.info("PC {} sent generic alert {}", session.storageKey(), type);
            }
        }
        return leaving;
    }

    private void forgetDevice(Session session) {
        storage.delete(CHANNEL_KEY + session.storageKey());
        storage.delete(pushStatusKey(session));
        storage.delete(inventoriedKey(session));
        storage.keys(settingPrefix(session)).forEach(storage::delete);
    }

    /** Hands out the PC's next kernel commands while the message has room; those Windows cannot carry out fail at once. */
    private void addCommands(Session session, List<SyncCommand> out, int maxMsgSize) {
        // What the PC can take in one message, less room for the header and the statuses already in it.
        int budget = Math.min(maxMsgSize, MAX_MESSAGE_BYTES) * 3 / 4 - out.stream().mapToInt(command -> SyncMlWriter.write(command).length()).sum();
        int added = 0;
        for (int round = 0; round < 20 && added < COMMANDS_PER_MESSAGE; round++) {
            // The bus hands out this session's unanswered commands again too; they are skipped, and still on their way.
            List<Command> taken = commands.take(session.device(), session.awaitingCommands() + COMMANDS_PER_MESSAGE);
            taken.stream().filter(command -> session.delivered(command.id()))
                    .forEach(command -> commands.inProgress(session.device(), command.id()));
            List<Command> next = taken.stream().filter(command -> !session.delivered(command.id())).toList();
            if (next.isEmpty()) {
                return;
            }
            for (Command command : next) {
                // The same translation that checked the command when it was issued.
                WindowsCommands.Translation translation = translator.translate(session.device(), command);
                if (translation.refusal().isPresent()) {
                    report(session, command, CommandState.FAILED, Map.of(), translation.refusal());
                    continue;
                }
                if (translation.commands().isEmpty()) {
                    report(session, command, CommandState.ACKNOWLEDGED, Map.of("note", "nothing to do on Windows"), Optional.empty());
                    continue;
                }
                int size = translation.commands().stream().mapToInt(sync -> SyncMlWriter.write(sync).length()).sum();
                if (added > 0 && size > budget) {
                    // Left SENT; the bus hands it out again with the next message, which is not the PC's failure.
                    commands.inProgress(session.device(), command.id());
                    return;
                }
                InFlight inFlight = new InFlight(InFlight.Purpose.COMMAND, Optional.of(command));
                translation.commands().forEach(sync -> out.add(session.send(sync, inFlight)));
                budget -= size;
                if (++added >= COMMANDS_PER_MESSAGE) {
                    return;
                }
            }
        }
    }

    /**
     * Everything sent for a purpose has been answered in one message of the PC: its outcome goes to the kernel.
     *
     * @return whether the PC is leaving management (it accepted to unenroll)
     */
    private boolean conclude(Session session, InFlight inFlight) {
        session.concluded(inFlight);
        switch (inFlight.purpose()) {
            case INVENTORY -> {
                recordInventory(session, inFlight);
                storage.put(inventoriedKey(session), Instant.now().toString().getBytes(StandardCharsets.UTF_8));
                return false;
            }
            case APP_VERSION -> {
                // The versions become app.<product code>, which the app catalog matches to the MSI it installed.
                recordInventory(session, inFlight);
                return false;
            }
            case PUSH_CHANNEL -> {
                pushChannel(session, inFlight);
                return false;
            }
            default -> {
                return concludeCommand(session, inFlight, inFlight.command().orElseThrow());
            }
        }
    }

    private boolean concludeCommand(Session session, InFlight inFlight, Command command) {
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("statuses", inFlight.statuses());
        Optional<String> failure;
        if (command.type() == CommandType.REFRESH_INVENTORY) {
            Map<String, String> inventory = recordInventory(session, inFlight);
            failure = inventory.isEmpty() ? inFlight.failure((part, code) -> false) : Optional.empty();
        } else {
            // An app's node may exist from an earlier install: "already exists" on the Add that makes sure of it is fine.
            failure = inFlight.failure((part, code) -> code == StatusCodes.ALREADY_EXISTS && part.verb().equals("Add")
                    && (command.type() == CommandType.INSTALL_APP || command.type() == CommandType.UPDATE_APP));
            if (command.type() == CommandType.RAW && !inFlight.values().isEmpty()) {
                response.put("results", inFlight.values());
            }
        }
        report(session, command, failure.isEmpty() ? CommandState.ACKNOWLEDGED : CommandState.FAILED, response, failure);
        return failure.isEmpty() && acknowledged(session, command);
    }

    /** What an acknowledged command changes here besides its result; returns whether the PC is leaving management. */
    private boolean acknowledged(Session session, Command command) {
        switch (command.type()) {
            case INSTALL_PROFILE -> storage.put(settingKey(session, (String) command.parameters().get("settingKey")),
                    json(Map.of("settingType", command.parameters().get("settingType"), "value", command.parameters().get("value"))));
            case REMOVE_PROFILE -> storage.delete(settingKey(session, (String) command.parameters().get("settingKey")));
            case REMOVE_APP -> {
                // Deleting an MSI's node uninstalls it: it leaves the PC's app inventory with its version.
                Object identifier = command.parameters().get(AppInstallation.IDENTIFIER);
                if ("msi".equals(command.parameters().get(AppInstallation.PACKAGE_KIND)) && identifier instanceof String code
                        && InventoryNodes.isProductCode(code.toUpperCase(Locale.ROOT))) {
                    registry.replaceInventory(session.device(), "app." + code.toUpperCase(Locale.ROOT), Map.of());
                }
                // Deleting an MSIX package's nonStore node removes it likewise.
                if ("msix".equals(command.parameters().get(AppInstallation.PACKAGE_KIND)) && identifier instanceof String family
                        && InventoryNodes.isPackageFamily(family)) {
                    registry.replaceInventory(session.device(), "app." + family, Map.of());
                }
            }
            case ENTERPRISE_WIPE -> {
                // The PC has accepted to unenroll: it removes this server's account and will not be back with this identity.
                registry.recordUnenrolled(session.device(), "unenrolled by the server (enterprise wipe)");
                forgetDevice(session);
                return true;
            }
            default -> {
            }
        }
        return false;
    }

    private Map<String, String> recordInventory(Session session, InFlight inFlight) {
        Map<String, String> inventory = InventoryNodes.inventory(inFlight.values());
        if (!inventory.isEmpty()) {
            registry.recordInventory(session.device(), inventory);
        }
        return inventory;
    }

    /** Keeps the PC's WNS channel where the push service finds it, and its status in the inventory, when they change. */
    private void pushChannel(Session session, InFlight inFlight) {
        Map<String, String> values = inFlight.values();
        Optional.ofNullable(values.get(WindowsCommands.PUSH_CHANNEL)).map(String::trim).filter(uri -> !uri.isEmpty()).ifPresent(uri -> {
            byte[] channel = uri.getBytes(StandardCharsets.UTF_8);
            if (!storage.get(CHANNEL_KEY + session.storageKey()).map(stored -> Arrays.equals(stored, channel)).orElse(false)) {
                storage.put(CHANNEL_KEY + session.storageKey(), channel);
            }
        });
        Optional.ofNullable(values.get(WindowsCommands.PUSH_STATUS)).map(String::trim).ifPresent(status -> {
            if (!storage.get(pushStatusKey(session)).map(stored -> new String(stored, StandardCharsets.UTF_8).equals(status)).orElse(false)) {
                storage.put(pushStatusKey(session), status.getBytes(StandardCharsets.UTF_8));
                registry.recordInventory(session.device(), Map.of("windows.push.status", status));
            }
        });
    }

    private void report(Session session, Command command, CommandState state, Map<String, Object> response, Optional<String> reason) {
        try {
            commands.report(session.device(), new CommandResult(command.id(), state, response, reason));
        } catch (IllegalArgumentException e) {
            log.warn("The kernel refused the result of command {} of PC {}: {}", command.id(), session.storageKey(), e.getMessage());
        }
    }

    private static byte[] json(Map<String, Object> value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a setting's value cannot be written as JSON", e);
        }
    }

    private static Status status(Session session, String msgRef, String cmdRef, String cmd, int code) {
        return new Status(session.nextCmdId(), msgRef, cmdRef, cmd, Integer.toString(code));
    }

    private static DeviceResponse syncMl(SyncMl message) {
        return DeviceResponse.of(200, SyncMl.CONTENT_TYPE, SyncMlWriter.write(message));
    }

    private static String inventoriedKey(Session session) {
        return "inventoried/" + session.storageKey();
    }

    private static String pushStatusKey(Session session) {
        return "wns-status/" + session.storageKey();
    }

    private static String settingPrefix(Session session) {
        return WindowsCommandTranslator.settingPrefix(session.device());
    }

    private static String settingKey(Session session, String settingKey) {
        return WindowsCommandTranslator.settingKey(session.device(), settingKey);
    }
}
