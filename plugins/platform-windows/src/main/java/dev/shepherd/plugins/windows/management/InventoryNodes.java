package dev.shepherd.plugins.windows.management;

import dev.shepherd.plugins.windows.csp.CspOperation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a Windows PC is asked for its inventory: the standard OMA-DM DevInfo and DevDetail objects and a little of the
 * DeviceStatus CSP; and, after the PC reports an MSI installed, that MSI's version ({@code app.<product code>}). Each node's value is kept under {@code windows.} plus its path (without {@code ./} and
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
