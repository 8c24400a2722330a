package dev.shepherd.plugins.windows.management;

import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.command.Command;
import dev.shepherd.plugins.windows.csp.CspOperation;
import dev.shepherd.plugins.windows.csp.SettingCsps;
import dev.shepherd.plugins.windows.csp.UnsupportedSettingException;
import dev.shepherd.plugins.windows.syncml.Item;
import dev.shepherd.plugins.windows.syncml.SyncCommand;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Atomic;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Operation;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Verb;
import dev.shepherd.plugins.windows.syncml.SyncMlException;
import dev.shepherd.plugins.windows.syncml.SyncMlReader;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

import static dev.shepherd.plugins.windows.xml.SafeXml.escape;

/**
 * Kernel commands as OMA-DM commands on Windows configuration service providers. CmdIDs are left {@code 0}: the
 * session numbers them when it sends them.
 */
final class WindowsCommands {

    /** The DM provider id the enrollment gives the PC, under which DMClient keeps this server's account. */
    static final String PROVIDER = "Shepherd";
    static final String PUSH_CHANNEL = "./Vendor/MSFT/DMClient/Provider/" + PROVIDER + "/Push/ChannelURI";
    static final String PUSH_STATUS = "./Vendor/MSFT/DMClient/Provider/" + PROVIDER + "/Push/Status";
    static final String UNENROLL = "./Vendor/MSFT/DMClient/Provider/" + PROVIDER + "/Unenroll";

    private static final String MSI = "./Device/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/";
    private static final String MODERN = "./Device/Vendor/MSFT/EnterpriseModernAppManagement/";
    private static final Pattern PRODUCT_CODE = Pattern.compile("\\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}}");
    /** Store option: the MSI's command line. */
    static final String COMMAND_LINE = "commandLine";
    /** A package family name: Name_PublisherId, letters, digits, dots and dashes. */
    private static final Pattern PACKAGE_FAMILY = Pattern.compile("[A-Za-z0-9.\\-]{3,50}_[a-z0-9]{13}");
    /** NetBIOS: at most 15 letters, digits and dashes, not digits alone. */
    private static final Pattern COMPUTER_NAME = Pattern.compile("(?=.*[A-Za-z-])[A-Za-z0-9-]{1,15}");

    private WindowsCommands() {
    }

    /**
     * What a command becomes on Windows.
     *
     * @param commands the SyncML commands to send; none (without a refusal) means there is nothing to do on the PC
     * @param refusal why it cannot be carried out on Windows
     */
    record Translation(List<SyncCommand> commands, Optional<String> refusal) {
        static Translation of(List<SyncCommand> commands) {
            return new Translation(List.copyOf(commands), Optional.empty());
        }

        static Translation refused(String reason) {
            return new Translation(List.of(), Optional.of(reason));
        }
    }

    /** A command with no setting installed before, and no SCEP server whose CA is known. */
    static Translation translate(Command command, Optional<Map<String, Object>> installed) {
        return translate(command, installed, url -> Optional.empty());
    }

    /**
     * @param installed the value the command's setting is installed with, if it is: what a REMOVE_PROFILE undoes and an
     *        INSTALL_PROFILE replaces
     * @param scepRootThumbprint the thumbprint of the CA behind a SCEP URL, where known (the kernel's own)
     */
    static Translation translate(Command command, Optional<Map<String, Object>> installed,
                                 Function<String, Optional<String>> scepRootThumbprint) {
        return translate(command, installed, scepRootThumbprint, name -> Optional.empty());
    }

    /**
     * @param certificates the device's certificate setting of a name, which a Wi-Fi network's {@code serverCertificates}
     *        name to pin its RADIUS server
     */
    static Translation translate(Command command, Optional<Map<String, Object>> installed,
                                 Function<String, Optional<String>> scepRootThumbprint,
                                 Function<String, Optional<Map<String, Object>>> certificates) {
        Map<String, Object> parameters = command.parameters();
        try {
            return switch (command.type()) {
                case LOCK -> Translation.of(List.of(exec("./Device/Vendor/MSFT/RemoteLock/Lock")));
                case WIPE -> Translation.of(List.of(exec("./Device/Vendor/MSFT/RemoteWipe/" + wipeNode(parameters))));
                // Unenrolling is Windows' own enterprise wipe: it removes the policies, certificates and enterprise apps
                // this server put there and leaves the user's data alone.
                case ENTERPRISE_WIPE -> Translation.of(List.of(toCommand(CspOperation.exec(UNENROLL, Optional.of("chr"), Optional.of(PROVIDER)))));
                case RESTART -> Translation.of(List.of(exec("./Device/Vendor/MSFT/Reboot/RebootNow")));
                case REFRESH_INVENTORY -> Translation.of(InventoryNodes.gets().stream().map(WindowsCommands::toCommand).toList());
                case INSTALL_APP, UPDATE_APP -> installApp(parameters);
                case REMOVE_APP -> removeApp(parameters);
                case SETTINGS -> settings(parameters);
                case RAW -> raw(parameters);
                case INSTALL_PROFILE -> {
                    String key = text(parameters, "settingKey");
                    String type = text(parameters, "settingType");
                    List<CspOperation> operations = installed.isPresent()
                            ? SettingCsps.change(key, type, installed.get(), value(parameters.get("value")), scepRootThumbprint, certificates)
                            : SettingCsps.install(key, type, value(parameters.get("value")), scepRootThumbprint, certificates);
                    // Nothing to set (restrictions that allow everything, say) is done at once.
                    yield Translation.of(operations.isEmpty() ? List.of() : List.of(atomic(operations)));
                }
                case REMOVE_PROFILE -> installed.isEmpty() ? Translation.of(List.of())
                        : Translation.of(List.of(atomic(SettingCsps.remove(text(parameters, "settingKey"), text(parameters, "settingType"),
                        installed.get()))));
                case SHUT_DOWN, LOCATE, LOST_MODE_ON, LOST_MODE_OFF, CLEAR_PASSCODE, RESET_PASSCODE, OS_UPDATE ->
                        Translation.refused(command.type() + " has no equivalent on Windows");
                // A command type newer than this plugin.
                default -> Translation.refused(command.type() + " is not known to the Windows plugin");
            };
        } catch (UnsupportedSettingException | IllegalArgumentException | SyncMlException e) {
            return Translation.refused(e.getMessage());
        }
    }

    private static String wipeNode(Map<String, Object> parameters) {
        if (Boolean.TRUE.equals(parameters.get("protected"))) {
            // Survives a power loss mid-wipe, at the price of leaving some PCs unbootable until reset by hand.
            return "doWipeProtected";
        }
        return Boolean.TRUE.equals(parameters.get("keepUserData")) ? "doWipePersistUserData" : "doWipe";
    }

    /**
     * The catalog's installation ({@link AppInstallation#fromParameters}, the only parameters taken): an MSI package
     * becomes EnterpriseDesktopAppManagement {@code DownloadInstall} with an MsiInstallJob whose FileHash is the
     * package's SHA-256, so Windows refuses bytes that differ; an MSIX package becomes EnterpriseModernAppManagement
     * {@code HostedInstall} under its package family name. The MSI's command line is the store option
     * {@value #COMMAND_LINE}, {@code /quiet} by default.
     */
    private static Translation installApp(Map<String, Object> parameters) {
        AppInstallation installation = AppInstallation.fromParameters(parameters).orElseThrow(() -> new IllegalArgumentException(
                "a Windows app is installed from the catalog's parameters (identifier, source, packageUrl, sha256, size, packageKind)"));
        if (!(installation.source() instanceof AppInstallation.FromPackage pack)) {
            throw new IllegalArgumentException("Windows installs apps from MSI or MSIX packages, not from a " + installation.source().name());
        }
        String url = pack.url().toString();
        return switch (pack.kind()) {
            case MSI -> {
                String productCode = productCode(installation.identifier());
                String version = installation.version().orElse("1.0.0.0");
                String commandLine = installation.options().get(COMMAND_LINE) instanceof String text && !text.isBlank() ? text : "/quiet";
                String job = "<MsiInstallJob id=\"" + escape(productCode) + "\"><Product Version=\"" + escape(version) + "\"><Download>"
                        + "<ContentURLList><ContentURL>" + escape(url) + "</ContentURL></ContentURLList></Download>"
                        + "<Validation><FileHash>" + pack.sha256().toUpperCase(Locale.ROOT) + "</FileHash></Validation>"
                        + "<Enforcement><CommandLine>" + escape(commandLine) + "</CommandLine><TimeOut>5</TimeOut><RetryCount>3</RetryCount>"
                        + "<RetryInterval>5</RetryInterval></Enforcement></Product></MsiInstallJob>";
                String node = MSI + encode(productCode) + "/DownloadInstall";
                yield Translation.of(List.of(toCommand(new CspOperation("Add", node, Optional.empty(), Optional.empty())),
                        toCommand(CspOperation.exec(node, Optional.of("xml"), Optional.of(job)))));
            }
            case MSIX -> {
                String node = MODERN + "AppInstallation/" + packageFamily(installation.identifier());
                yield Translation.of(List.of(toCommand(new CspOperation("Add", node, Optional.empty(), Optional.empty())),
                        toCommand(CspOperation.exec(node + "/HostedInstall", Optional.of("xml"),
                                Optional.of("<Application PackageUri=\"" + escape(url) + "\"/>")))));
            }
            default -> throw new IllegalArgumentException("Windows installs MSI and MSIX packages, not " + pack.kind().parameter());
        };
    }

    /**
     * The catalog's removal parameters ({@link AppInstallation#toRemovalParameters}): an MSI is removed by deleting its
     * product code's node, an MSIX package by deleting it under {@code AppManagement/nonStore}, a store app under
     * {@code AppManagement/AppStore}.
     */
    private static Translation removeApp(Map<String, Object> parameters) {
        String identifier = text(parameters, AppInstallation.IDENTIFIER);
        String source = text(parameters, AppInstallation.SOURCE);
        if (source.equals("store")) {
            return Translation.of(List.of(toCommand(CspOperation.delete(MODERN + "AppManagement/AppStore/" + packageFamily(identifier)))));
        }
        String kind = text(parameters, AppInstallation.PACKAGE_KIND);
        if (kind.equals(AppInstallation.PackageKind.MSI.parameter())) {
            return Translation.of(List.of(toCommand(CspOperation.delete(MSI + encode(productCode(identifier))))));
        }
        if (kind.equals(AppInstallation.PackageKind.MSIX.parameter())) {
            return Translation.of(List.of(toCommand(CspOperation.delete(MODERN + "AppManagement/nonStore/" + packageFamily(identifier)))));
        }
        return Translation.refused("Windows removes MSI and MSIX packages and store apps, not " + kind);
    }

    /** Only the device name has a Windows equivalent (Accounts CSP); the PC applies it at its next restart. */
    private static Translation settings(Map<String, Object> parameters) {
        Optional<String> name = optionalText(parameters, "deviceName");
        if (name.isEmpty()) {
            return Translation.refused("of the SETTINGS parameters Windows applies only deviceName");
        }
        if (!COMPUTER_NAME.matcher(name.get()).matches()) {
            throw new IllegalArgumentException("a Windows computer name is 1 to 15 letters, digits and dashes, not digits alone: "
                    + name.get());
        }
        return Translation.of(List.of(toCommand(CspOperation.add("./Device/Vendor/MSFT/Accounts/Domain/ComputerName", "chr", name.get()))));
    }

    private static Translation raw(Map<String, Object> parameters) {
        SyncCommand command = SyncMlReader.readCommand(text(parameters, "syncml"));
        if (command instanceof SyncCommand.Alert) {
            return Translation.refused("a RAW command is Get, Add, Replace, Delete, Exec or Atomic, not an Alert");
        }
        if (endsManagement(command)) {
            // Erasing or unenrolling ends management: that goes through WIPE / ENTERPRISE_WIPE (or the retire and wipe
            // actions), which also revoke the PC's identity; a raw one would leave the record ENROLLED with a live certificate.
            return Translation.refused("a RAW command may not erase or unenroll the PC: send WIPE or ENTERPRISE_WIPE (or retire "
                    + "or wipe the device), which also end its management");
        }
        return Translation.of(List.of(command));
    }

    /** Whether a command reaches the RemoteWipe CSP or the DMClient's Unenroll node, directly or inside an Atomic. */
    private static boolean endsManagement(SyncCommand command) {
        if (command instanceof SyncCommand.Atomic atomic) {
            return atomic.commands().stream().anyMatch(WindowsCommands::endsManagement);
        }
        if (command instanceof SyncCommand.Operation operation) {
            return operation.items().stream().flatMap(item -> item.locUri().stream())
                    .map(locUri -> locUri.toLowerCase(Locale.ROOT))
                    .anyMatch(locUri -> locUri.contains("/vendor/msft/remotewipe") || (locUri.contains("/vendor/msft/dmclient/")
                            && locUri.endsWith("/unenroll")));
        }
        return false;
    }

    static SyncCommand toCommand(CspOperation operation) {
        Verb verb = Verb.of(operation.verb()).orElseThrow();
        return new Operation(verb, "0", List.of(Item.target(operation.locUri(), operation.format(), operation.data())));
    }

    private static SyncCommand exec(String locUri) {
        return toCommand(CspOperation.exec(locUri, Optional.empty(), Optional.empty()));
    }

    private static SyncCommand atomic(List<CspOperation> operations) {
        List<SyncCommand> commands = new ArrayList<>();
        operations.forEach(operation -> commands.add(toCommand(operation)));
        return new Atomic("0", commands);
    }

    /** Braces are not allowed in a URI: Windows expects the product code's percent-encoded in the node's path. */
    private static String encode(String productCode) {
        return productCode.replace("{", "%7B").replace("}", "%7D");
    }

    private static String productCode(String code) {
        if (!PRODUCT_CODE.matcher(code).matches()) {
            throw new IllegalArgumentException("an MSI's identifier must be its product code, such as {AF9257BA-6BBD-4624-AA9B-0182D50292C3}: " + code);
        }
        return code.toUpperCase(Locale.ROOT);
    }

    private static String packageFamily(String family) {
        if (!PACKAGE_FAMILY.matcher(family).matches()) {
            throw new IllegalArgumentException("an MSIX package's identifier must be its package family name, such as Contoso.App_8wekyb3d8bbwe: " + family);
        }
        return family;
    }

    private static String text(Map<String, Object> parameters, String name) {
        return optionalText(parameters, name).orElseThrow(() -> new IllegalArgumentException("the command lacks the parameter " + name));
    }

    private static Optional<String> optionalText(Map<String, Object> parameters, String name) {
        return parameters.get(name) instanceof String text && !text.isBlank() ? Optional.of(text.trim()) : Optional.empty();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> value(Object value) {
        if (value instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw new IllegalArgumentException("the setting's value is not an object");
    }
}
