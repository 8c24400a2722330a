package dev.shepherd.plugins.windows.management;

import dev.shepherd.plugins.windows.csp.CspOperation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a Windows PC is asked for its inventory: the standard OMA-DM DevInfo and DevDetail objects and a little of the
 * DeviceStatus CSP; and, after the PC reports an app installed, its version: an MSI's from EnterpriseDesktopAppManagement
 * ({@code app.<product code>}), an MSIX package's from EnterpriseModernAppManagement's inventory of the package family
 * ({@code app.<package family name>}). Each node's value is kept under {@code windows.} plus its path (without {@code ./} and
 * {@code Vendor/MSFT/}, slashes as dots), and the kernel's own keys are filled from the nodes that carry them.
 */
final class InventoryNodes {

    /** The nodes, each read by its own Get so that one a PC lacks (404) costs only that value. */
    static final List<String> NODES = List.of(
            "./DevInfo/DevId", "./DevInfo/Man", "./DevInfo/Mod", "./DevInfo/DmV", "./DevInfo/Lang",
            "./DevDetail/SwV", "./DevDetail/OEM", "./DevDetail/FwV", "./DevDetail/HwV", "./DevDetail/DevTyp",
            "./DevDetail/Ext/Microsoft/DeviceName", "./DevDetail/Ext/Microsoft/OSPlatform", "./DevDetail/Ext/Microsoft/LocalTime",
            "./DevDetail/Ext/Microsoft/ProcessorArchitecture", "./DevDetail/Ext/Microsoft/TotalRAM",
            "./DevDetail/Ext/Microsoft/TotalStorage", "./DevDetail/Ext/Microsoft/SMBIOSSerialNumber", "./DevDetail/Ext/WLANMACAddress",
            "./Vendor/MSFT/DeviceStatus/OS/Edition", "./Vendor/MSFT/DeviceStatus/Compliance/EncryptionCompliance");

    /** Kernel inventory keys, which also update the device itself, by the node that carries them. */
    private static final Map<String, String> KERNEL_KEYS = Map.of(
            "./DevDetail/SwV", "os.version",
            "./DevInfo/Mod", "model",
            "./DevDetail/Ext/Microsoft/DeviceName", "device.name",
            "./DevDetail/Ext/Microsoft/SMBIOSSerialNumber", "serial.number");

    private static final String MSI = "./Device/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/";
    private static final Pattern PRODUCT_CODE = Pattern.compile("\\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}}");
    private static final Pattern MSI_VERSION = Pattern.compile(Pattern.quote(MSI) + "%7B([0-9A-F-]{36})%7D/Version");
    /** The packaged apps that did not come from the Microsoft Store, by package family name, then package full name. */
    private static final String NON_STORE = "./Device/Vendor/MSFT/EnterpriseModernAppManagement/AppManagement/nonStore/";
    private static final String FAMILY = "[A-Za-z0-9.\\-]{3,50}_[a-z0-9]{13}";
    private static final Pattern PACKAGE_FAMILY = Pattern.compile(FAMILY);
    private static final Pattern FAMILY_NODE = Pattern.compile(Pattern.quote(NON_STORE) + "(" + FAMILY + ")");
    /** A package full name: name_version_architecture_resource_publisher id, as a node name. */
    private static final Pattern FULL_NAME = Pattern.compile("[A-Za-z0-9.~\\-]{1,60}_[0-9.]{1,23}_[a-z0-9]{1,10}_[A-Za-z0-9.~\\-]{0,40}_[a-z0-9]{13}");
    private static final Pattern MSIX_VERSION = Pattern.compile(Pattern.quote(NON_STORE) + "(" + FAMILY + ")/[^/]+/Version");
    /** The most package full names of one family read (a bundle and its resource packages). */
    private static final int MAX_FULL_NAMES = 20;

    private InventoryNodes() {
    }

    /** @return whether the text is an MSI product code in braces and upper case, as the plugin keeps them */
    static boolean isProductCode(String text) {
        return PRODUCT_CODE.matcher(text).matches();
    }

    /**
     * @param productCode an MSI product code in braces
     * @return the EnterpriseDesktopAppManagement node holding the installed version of that MSI
     */
    static String msiVersionNode(String productCode) {
        return MSI + productCode.replace("{", "%7B").replace("}", "%7D") + "/Version";
    }

    /** @return whether the text is an MSIX package family name, such as {@code Contoso.Notes_8wekyb3d8bbwe} */
    static boolean isPackageFamily(String text) {
        return PACKAGE_FAMILY.matcher(text).matches();
    }

    /**
     * @param family a package family name
     * @return the EnterpriseModernAppManagement node listing the family's installed packages (its package full names)
     */
    static String msixPackagesNode(String family) {
        return NON_STORE + family;
    }

    /**
     * The Version nodes of the packages a family's node listed. Reading an interior node answers its children's names,
     * separated by {@code /}; names that are not package full names are left out, as are more than
     * {@value #MAX_FULL_NAMES}.
     *
     * @param values node values the PC reported
     * @return the nodes holding the installed packages' versions
     */
    static List<String> msixVersionNodes(Map<String, String> values) {
        List<String> nodes = new ArrayList<>();
        values.forEach((locUri, value) -> {
            if (FAMILY_NODE.matcher(locUri).matches()) {
                Arrays.stream(value.split("/")).map(String::trim).filter(name -> FULL_NAME.matcher(name).matches())
                        .limit(MAX_FULL_NAMES).forEach(name -> nodes.add(locUri + "/" + name + "/Version"));
            }
        });
        return nodes;
    }

    static List<CspOperation> gets() {
        return NODES.stream().map(CspOperation::get).toList();
    }

    /** @return the inventory facts of the reported node values (MSI versions as {@code app.<product code>}); values of other nodes outside DevInfo/DevDetail/Vendor are ignored */
    static Map<String, String> inventory(Map<String, String> values) {
        Map<String, String> inventory = new LinkedHashMap<>();
        values.forEach((locUri, value) -> {
            Matcher msi = MSI_VERSION.matcher(locUri);
            if (msi.matches() && !value.isBlank()) {
                // An installed MSI, under the product code the catalog knows it by.
                inventory.put("app.{" + msi.group(1) + "}", value.trim());
            }
            Matcher msix = MSIX_VERSION.matcher(locUri);
            if (msix.matches() && !value.isBlank()) {
                // An installed MSIX package, under the package family name the catalog knows it by.
                inventory.put("app." + msix.group(1), value.trim());
            }
            if (locUri.startsWith("./DevInfo/") || locUri.startsWith("./DevDetail/") || locUri.startsWith("./Vendor/MSFT/DeviceStatus/")) {
                inventory.put(key(locUri), value);
                String kernelKey = KERNEL_KEYS.get(locUri);
                if (kernelKey != null && !value.isBlank()) {
                    inventory.put(kernelKey, value);
                }
                // DeviceStatus says whether the drives are encrypted as required: 1 compliant, 0 not.
                if (locUri.equals("./Vendor/MSFT/DeviceStatus/Compliance/EncryptionCompliance") && (value.equals("0") || value.equals("1"))) {
                    inventory.put("storage.encrypted", String.valueOf(value.equals("1")));
                }
            }
        });
        return inventory;
    }

    static String key(String locUri) {
        return "windows." + locUri.substring(2).replace("Vendor/MSFT/", "").replace('/', '.');
    }
}
