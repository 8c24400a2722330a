package dev.shepherd.plugins.windows.csp;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * Kernel settings as operations on Windows configuration service providers. {@link #install} gives what applies a
 * setting's value; {@link #remove} what takes it away again, from the value that was installed, since a removal
 * must undo exactly what the install did; {@link #change} what replaces an installed value with a new one.
 *
 * <p>Two kinds of setting: policy values ({@code passcode}, {@code restrictions}, {@code os_update},
 * {@code screen_lock}, {@code encryption}) are {@code Replace}s of fixed Policy CSP and BitLocker CSP nodes, and
 * removing them deletes those nodes, which restores Windows' defaults. Named objects ({@code wifi}, {@code vpn},
 * {@code certificate}) are {@code Add}s of a node named after the object, and removing them deletes that node.
 * An empty list means the value asks nothing of Windows (a restrictions setting that allows everything Windows can
 * restrict, for instance).
 */
public final class SettingCsps {

    /** The setting types Windows can apply. */
    public static final Set<String> SUPPORTED_TYPES = Set.of("passcode", "screen_lock", "restrictions", "os_update", "encryption",
            "wifi", "vpn", "certificate");

    /** Named objects: their nodes are added, and a changed value replaces the whole object. */
    private static final Set<String> OBJECTS = Set.of("wifi", "vpn", "certificate");

    private static final String DEVICE_LOCK = Nodes.POLICY + "DeviceLock/";

    private SettingCsps() {
    }

    /**
     * @return the operations that apply the value, in order
     * @throws UnsupportedSettingException when the type or a value cannot be expressed on Windows
     */
    public static List<CspOperation> install(String settingKey, String type, Map<String, Object> value) {
        return install(settingKey, type, value, url -> Optional.empty());
    }

    /**
     * @param scepRootThumbprint the SHA-1 thumbprint (hex) of the root CA behind a SCEP URL, where known: Windows'
     *        SCEP client refuses a server whose CA it cannot match to one, and the certificate setting names none
     * @return the operations that apply the value, in order
     * @throws UnsupportedSettingException when the type or a value cannot be expressed on Windows
     */
    public static List<CspOperation> install(String settingKey, String type, Map<String, Object> value,
                                             Function<String, Optional<String>> scepRootThumbprint) {
        return install(settingKey, type, value, scepRootThumbprint, name -> Optional.empty());
    }

    /**
     * @param scepRootThumbprint the SHA-1 thumbprint (hex) of the root CA behind a SCEP URL, where known
     * @param certificates the device's certificate setting of a name, which a Wi-Fi network's
     *        {@code serverCertificates} name: the CAs its RADIUS server's certificate is pinned to
     * @return the operations that apply the value, in order
     * @throws UnsupportedSettingException when the type or a value cannot be expressed on Windows
     */
    public static List<CspOperation> install(String settingKey, String type, Map<String, Object> value,
                                             Function<String, Optional<String>> scepRootThumbprint,
                                             Function<String, Optional<Map<String, Object>>> certificates) {
        requireNonNull(settingKey, "settingKey is null");
        requireNonNull(type, "type is null");
        requireNonNull(value, "value is null");
        requireNonNull(scepRootThumbprint, "scepRootThumbprint is null");
        requireNonNull(certificates, "certificates is null");
        return switch (type) {
            case "passcode" -> passcode(value);
            case "screen_lock" -> PolicyCsps.screenLock(value);
            case "restrictions" -> PolicyCsps.restrictions(value);
            case "os_update" -> PolicyCsps.osUpdate(value);
            case "encryption" -> PolicyCsps.encryption(value);
            case "wifi" -> WifiProfiles.install(value, certificates);
            case "vpn" -> VpnProfiles.install(value);
            case "certificate" -> CertificateCsps.install(value, scepRootThumbprint);
            default -> throw unsupported(type);
        };
    }

    /**
     * @param installedValue the value {@link #install} applied
     * @return the operations that undo it, in order
     */
    public static List<CspOperation> remove(String settingKey, String type, Map<String, Object> installedValue) {
        requireNonNull(settingKey, "settingKey is null");
        requireNonNull(type, "type is null");
        requireNonNull(installedValue, "installedValue is null");
        return switch (type) {
            case "wifi" -> WifiProfiles.remove(installedValue);
            case "vpn" -> VpnProfiles.remove(installedValue);
            case "certificate" -> CertificateCsps.remove(installedValue);
            // Deleting a Policy CSP node restores the system's default for it.
            case "passcode", "screen_lock", "restrictions", "os_update", "encryption" -> deletes(install(settingKey, type, installedValue));
            default -> throw unsupported(type);
        };
    }

    /**
     * Replaces an installed value with a new one, for one {@code Atomic}. A named object is deleted and added again
     * whole, as the WiFi and VPNv2 CSPs ask (their nodes take no {@code Add} while they exist); for policy values the
     * new value's nodes are replaced and the nodes only the old value set are deleted, so nothing of it lingers.
     *
     * @param installedValue the value {@link #install} applied
     * @param value the new value
     * @return the operations, in order
     */
    public static List<CspOperation> change(String settingKey, String type, Map<String, Object> installedValue, Map<String, Object> value,
                                            Function<String, Optional<String>> scepRootThumbprint) {
        return change(settingKey, type, installedValue, value, scepRootThumbprint, name -> Optional.empty());
    }

    /** As {@link #change(String, String, Map, Map, Function)}, with the device's certificate settings by name. */
    public static List<CspOperation> change(String settingKey, String type, Map<String, Object> installedValue, Map<String, Object> value,
                                            Function<String, Optional<String>> scepRootThumbprint,
                                            Function<String, Optional<Map<String, Object>>> certificates) {
        List<CspOperation> install = install(settingKey, type, value, scepRootThumbprint, certificates);
        List<CspOperation> removal = remove(settingKey, type, installedValue);
        List<CspOperation> operations = new ArrayList<>();
        if (OBJECTS.contains(type)) {
            operations.addAll(removal);
        } else {
            Set<String> kept = install.stream().map(CspOperation::locUri).collect(Collectors.toSet());
            removal.stream().filter(operation -> !kept.contains(operation.locUri())).forEach(operations::add);
        }
        operations.addAll(install);
        return operations;
    }

    private static UnsupportedSettingException unsupported(String type) {
        if (type.equals("email")) {
            return new UnsupportedSettingException("Windows Mail, the app the EMAIL2 and ActiveSync CSPs configure, is retired, "
                    + "and the new Outlook for Windows does not read those accounts");
        }
        return new UnsupportedSettingException("Windows has no equivalent of " + type + " settings");
    }

    private static List<CspOperation> deletes(List<CspOperation> installed) {
        return installed.stream().map(operation -> CspOperation.delete(operation.locUri())).toList();
    }

    /**
     * Policy CSP DeviceLock. Its DevicePasswordEnabled counts backwards: 0 turns the password requirement on. The
     * values are those Windows' desktop editions take: a length of 4 to 16 (Windows' own minimum of 4 where less is
     * asked), 4 to 16 failed attempts (after which the PC restarts into BitLocker recovery rather than wiping), and for
     * {@code minComplexCharacters} the number of character classes.
     */
    private static List<CspOperation> passcode(Map<String, Object> value) {
        List<CspOperation> operations = new ArrayList<>();
        boolean required = bool(value, "required").orElse(true);
        operations.add(CspOperation.replace(DEVICE_LOCK + "DevicePasswordEnabled", "int", required ? "0" : "1"));
        if (!required) {
            return operations;
        }
        integer(value, "minLength").ifPresent(length -> {
            if (length > 16) {
                throw new UnsupportedSettingException("Windows requires at most 16 characters (DeviceLock/MinDevicePasswordLength "
                        + "is 4 to 16); a minLength of " + length + " cannot be required");
            }
            operations.add(CspOperation.replace(DEVICE_LOCK + "MinDevicePasswordLength", "int", Integer.toString(Math.max(4, length))));
        });
        boolean alphanumeric = bool(value, "requireAlphanumeric").orElse(false);
        bool(value, "requireAlphanumeric").ifPresent(flag -> operations.add(CspOperation.replace(
                DEVICE_LOCK + "AlphanumericDevicePasswordRequired", "int", flag ? "0" : "2")));
        integer(value, "minComplexCharacters").filter(classes -> classes > 0)
                .ifPresent(classes -> operations.add(characterClasses(classes, alphanumeric)));
        integer(value, "maxFailedAttempts").ifPresent(attempts -> {
            if (attempts < 4 || attempts > 16) {
                throw new UnsupportedSettingException("Windows PCs allow 4 to 16 failed attempts before they restart into BitLocker "
                        + "recovery (DeviceLock/MaxDevicePasswordFailedAttempts); " + attempts + " cannot be set");
            }
            operations.add(CspOperation.replace(DEVICE_LOCK + "MaxDevicePasswordFailedAttempts", "int", Integer.toString(attempts)));
        });
        integer(value, "maxInactivityMinutes").ifPresent(minutes -> operations.add(CspOperation.replace(
                DEVICE_LOCK + "MaxInactivityTimeDeviceLock", "int", Integer.toString(clamp(minutes, 0, 999)))));
        integer(value, "maxAgeDays").ifPresent(days -> operations.add(CspOperation.replace(
                DEVICE_LOCK + "DevicePasswordExpiration", "int", Integer.toString(clamp(days, 0, 730)))));
        integer(value, "historyCount").ifPresent(count -> operations.add(CspOperation.replace(
                DEVICE_LOCK + "DevicePasswordHistory", "int", Integer.toString(clamp(count, 0, 50)))));
        return operations;
    }

    /**
     * Windows counts no symbols: DeviceLock/MinDevicePasswordComplexCharacters is the number of character classes a
     * password mixes (1 digits; 2 digits and lowercase letters; 3 digits, lowercase and uppercase letters; 4 all of those
     * and special characters), and it applies only to an alphanumeric password (AlphanumericDevicePasswordRequired 0).
     * So {@code minComplexCharacters} is sent as that class count, as the setting's schema says. Desktop editions take
     * 1 to 3 (local accounts enforce 3 whatever is set); 4, the only value that demands a symbol, is not supported there.
     */
    private static CspOperation characterClasses(int classes, boolean alphanumeric) {
        if (!alphanumeric) {
            throw new UnsupportedSettingException("on Windows minComplexCharacters is the number of character classes an "
                    + "alphanumeric password mixes (DeviceLock/MinDevicePasswordComplexCharacters), which Windows applies only "
                    + "with requireAlphanumeric; set requireAlphanumeric, or minComplexCharacters to 0, for Windows");
        }
        if (classes > 3) {
            throw new UnsupportedSettingException("Windows PCs mix at most 3 character classes (digits, lowercase and uppercase "
                    + "letters); 4, which demands special characters, is not supported on desktop editions, and minComplexCharacters "
                    + classes + " cannot be required");
        }
        return CspOperation.replace(DEVICE_LOCK + "MinDevicePasswordComplexCharacters", "int", Integer.toString(classes));
    }

    private static int clamp(int value, int min, int max) {
        return Math.max(min, Math.min(max, value));
    }

    static Optional<Boolean> bool(Map<String, Object> value, String key) {
        return value.get(key) instanceof Boolean flag ? Optional.of(flag) : Optional.empty();
    }

    static Optional<Integer> integer(Map<String, Object> value, String key) {
        return value.get(key) instanceof Number number ? Optional.of(number.intValue()) : Optional.empty();
    }

    /** A list of texts, absent for none; anything but texts in it refuses the setting. */
    static List<String> texts(Map<String, Object> value, String key) {
        Object found = value.get(key);
        if (found == null) {
            return List.of();
        }
        if (!(found instanceof List<?> list) || list.stream().anyMatch(item -> !(item instanceof String))) {
            throw new UnsupportedSettingException(key + " must be a list of texts");
        }
        return list.stream().map(String.class::cast).toList();
    }

    static Optional<String> text(Map<String, Object> value, String key) {
        return value.get(key) instanceof String text && !text.isBlank() ? Optional.of(text) : Optional.empty();
    }

    /** A property the setting type's schema requires; the kernel validated the value, so its absence is a bad value. */
    static String required(Map<String, Object> value, String key) {
        return text(value, key).orElseThrow(() -> new UnsupportedSettingException("the setting has no " + key));
    }
}
