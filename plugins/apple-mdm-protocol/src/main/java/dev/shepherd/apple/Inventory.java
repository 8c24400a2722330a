package dev.shepherd.apple;

import com.dd.plist.NSArray;
import com.dd.plist.NSData;
import com.dd.plist.NSDate;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSNumber;
import com.dd.plist.NSObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Apple query answers as registry inventory: flat {@code apple.*} keys, plus the kernel's well-known keys where Apple
 * reports them: {@code os.version}, {@code serial.number}, {@code device.name}, {@code model}, and the facts compliance
 * rules judge — {@code passcode.present}, {@code passcode.compliant}, {@code storage.encrypted}, and
 * {@code app.<bundle id>} with {@code apps.reported} for a complete app list.
 */
public final class Inventory {

    /** The queries {@code REFRESH_INVENTORY} can ask for (its {@code query} parameter; DeviceInformation by default). */
    public static final Set<String> QUERIES = Set.of("DeviceInformation", "SecurityInfo", "ProfileList", "CertificateList",
            "InstalledApplicationList");

    /** Each installed app is one key under this prefix, the kernel's: {@code app.<bundle id>} = version. */
    public static final String APP_PREFIX = "app.";
    /** How many apps an InstalledApplicationList answer listed. */
    public static final String APP_COUNT = "apple.apps.count";
    /** Set when a complete app list was reported, so compliance rules about apps can judge. */
    public static final String APPS_REPORTED = "apps.reported";

    private Inventory() {
    }

    /**
     * @param response an acknowledged command's response
     * @return the inventory prefix the response lists completely, if it is a list with one key per item: the
     *         installed applications' {@link #APP_PREFIX}. Whether the request asked for every item is the caller's to know.
     */
    public static Optional<String> listPrefix(NSDictionary response) {
        return response.objectForKey("InstalledApplicationList") instanceof NSArray ? Optional.of(APP_PREFIX) : Optional.empty();
    }

    /**
     * @param response an acknowledged command's response
     * @return the inventory it carries, empty when it carries none
     */
    public static Map<String, String> of(NSDictionary response) {
        Map<String, String> inventory = new LinkedHashMap<>();
        if (response.objectForKey("QueryResponses") instanceof NSDictionary answers) {
            flatten("apple.", answers, inventory, 0);
            copy(answers, "OSVersion", "os.version", inventory);
            copy(answers, "SerialNumber", "serial.number", inventory);
            copy(answers, "DeviceName", "device.name", inventory);
            copy(answers, "ProductName", "model", inventory);
        }
        if (response.objectForKey("SecurityInfo") instanceof NSDictionary security) {
            flatten("apple.security.", security, inventory, 0);
            securityFacts(security, inventory);
        }
        if (response.objectForKey("ProfileList") instanceof NSArray profiles) {
            List<String> identifiers = values(profiles, "PayloadIdentifier");
            inventory.put("apple.profiles.count", String.valueOf(identifiers.size()));
            inventory.put("apple.profiles", String.join(",", identifiers));
        }
        if (response.objectForKey("CertificateList") instanceof NSArray certificates) {
            List<String> names = values(certificates, "CommonName");
            inventory.put("apple.certificates.count", String.valueOf(names.size()));
            inventory.put("apple.certificates", String.join(",", names));
        }
        if (response.objectForKey("InstalledApplicationList") instanceof NSArray apps) {
            inventory.put(APP_COUNT, String.valueOf(apps.count()));
            inventory.put(APPS_REPORTED, "true");
            for (NSObject item : apps.getArray()) {
                if (item instanceof NSDictionary app && app.objectForKey("Identifier") != null) {
                    NSObject version = app.objectForKey("ShortVersion") != null ? app.objectForKey("ShortVersion") : app.objectForKey("Version");
                    inventory.put(APP_PREFIX + app.objectForKey("Identifier").toJavaObject(),
                            version == null ? "" : String.valueOf(version.toJavaObject()));
                }
            }
        }
        return inventory;
    }

    /**
     * SecurityInfo in the kernel's terms. iOS encrypts data (Data Protection) once a passcode is set on hardware that
     * supports it (HardwareEncryptionCaps has the block- or file-level bit); a Mac reports FileVault as FDE_Enabled.
     */
    private static void securityFacts(NSDictionary security, Map<String, String> inventory) {
        Optional<Boolean> passcodePresent = bool(security, "PasscodePresent");
        passcodePresent.ifPresent(present -> inventory.put("passcode.present", present.toString()));
        Optional<Boolean> compliant = bool(security, "PasscodeCompliant");
        Optional<Boolean> compliantWithProfiles = bool(security, "PasscodeCompliantWithProfiles");
        if (compliant.isPresent() || compliantWithProfiles.isPresent()) {
            inventory.put("passcode.compliant", String.valueOf(compliant.orElse(true) && compliantWithProfiles.orElse(true)));
        }
        Optional<Boolean> fileVault = bool(security, "FDE_Enabled");
        if (fileVault.isPresent()) {
            inventory.put("storage.encrypted", fileVault.get().toString());
        } else if (security.objectForKey("HardwareEncryptionCaps") instanceof NSNumber caps && passcodePresent.isPresent()) {
            inventory.put("storage.encrypted", String.valueOf(passcodePresent.get() && (caps.intValue() & 3) != 0));
        }
    }

    private static Optional<Boolean> bool(NSDictionary dictionary, String key) {
        return dictionary.objectForKey(key) instanceof NSNumber number && number.isBoolean()
                ? Optional.of(number.boolValue()) : Optional.empty();
    }

    /** Scalars become entries; nested dictionaries (such as SecurityInfo's FirewallSettings) one level deep. */
    private static void flatten(String prefix, NSDictionary dictionary, Map<String, String> into, int depth) {
        for (String key : dictionary.allKeys()) {
            NSObject value = dictionary.objectForKey(key);
            if (value instanceof NSDictionary nested) {
                if (depth == 0) {
                    flatten(prefix + key + ".", nested, into, depth + 1);
                }
            } else if (!(value instanceof NSArray) && !(value instanceof NSData)) {
                into.put(prefix + key, value instanceof NSDate date ? date.getDate().toInstant().toString() : String.valueOf(value.toJavaObject()));
            }
        }
    }

    private static List<String> values(NSArray items, String key) {
        List<String> values = new ArrayList<>();
        for (NSObject item : items.getArray()) {
            if (item instanceof NSDictionary dictionary && dictionary.objectForKey(key) != null) {
                values.add(String.valueOf(dictionary.objectForKey(key).toJavaObject()));
            }
        }
        return values;
    }

    private static void copy(NSDictionary answers, String appleKey, String kernelKey, Map<String, String> inventory) {
        NSObject value = answers.objectForKey(appleKey);
        if (value != null) {
            inventory.put(kernelKey, String.valueOf(value.toJavaObject()));
        }
    }
}
