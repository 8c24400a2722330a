package dev.shepherd.plugins.windows.csp;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Kernel settings as operations on Windows configuration service providers. {@link #install} gives what applies a
 * setting's value; {@link #remove} what takes it away again, from the value that was installed, since a removal
 * must undo exactly what the install did.
 */
public final class SettingCsps {

    /** The setting types Windows can apply. */
    public static final Set<String> SUPPORTED_TYPES = Set.of("passcode");

    private static final String DEVICE_LOCK = "./Device/Vendor/MSFT/Policy/Config/DeviceLock/";

    private SettingCsps() {
    }

    /**
     * @return the operations that apply the value, in order
     * @throws UnsupportedSettingException when the type or a value cannot be expressed on Windows
     */
    public static List<CspOperation> install(String settingKey, String type, Map<String, Object> value) {
        return switch (type) {
            case "passcode" -> passcode(value);
            default -> throw new UnsupportedSettingException("Windows has no equivalent of " + type + " settings");
        };
    }

    /**
     * @param installedValue the value {@link #install} applied
     * @return the operations that undo it, in order
     */
    public static List<CspOperation> remove(String settingKey, String type, Map<String, Object> installedValue) {
        return switch (type) {
            // Deleting a Policy CSP node restores the system's default for it.
            case "passcode" -> passcode(installedValue).stream().map(operation -> CspOperation.delete(operation.locUri())).toList();
            default -> throw new UnsupportedSettingException("Windows has no equivalent of " + type + " settings");
        };
    }

    /** Policy CSP DeviceLock. Its DevicePasswordEnabled counts backwards: 0 turns the password requirement on. */
    private static List<CspOperation> passcode(Map<String, Object> value) {
        List<CspOperation> operations = new ArrayList<>();
        boolean required = bool(value, "required").orElse(true);
        operations.add(CspOperation.replace(DEVICE_LOCK + "DevicePasswordEnabled", "int", required ? "0" : "1"));
        if (!required) {
            return operations;
        }
        integer(value, "minLength").ifPresent(length -> operations.add(CspOperation.replace(DEVICE_LOCK + "MinDevicePasswordLength", "int",
                Integer.toString(clamp(length, 4, 16)))));
        bool(value, "requireAlphanumeric").ifPresent(alphanumeric -> operations.add(CspOperation.replace(
                DEVICE_LOCK + "AlphanumericDevicePasswordRequired", "int", alphanumeric ? "0" : "2")));
        integer(value, "minComplexCharacters").ifPresent(classes -> {
            if (classes > 4) {
                throw new UnsupportedSettingException("Windows counts at most 4 character classes; minComplexCharacters " + classes
                        + " cannot be required");
            }
            operations.add(CspOperation.replace(DEVICE_LOCK + "MinDevicePasswordComplexCharacters", "int", Integer.toString(Math.max(1, classes))));
        });
        integer(value, "maxFailedAttempts").ifPresent(attempts -> operations.add(CspOperation.replace(
                DEVICE_LOCK + "MaxDevicePasswordFailedAttempts", "int", Integer.toString(clamp(attempts, 0, 999)))));
        integer(value, "maxInactivityMinutes").ifPresent(minutes -> operations.add(CspOperation.replace(
                DEVICE_LOCK + "MaxInactivityTimeDeviceLock", "int", Integer.toString(clamp(minutes, 0, 999)))));
        integer(value, "maxAgeDays").ifPresent(days -> operations.add(CspOperation.replace(
                DEVICE_LOCK + "DevicePasswordExpiration", "int", Integer.toString(clamp(days, 0, 730)))));
        integer(value, "historyCount").ifPresent(count -> operations.add(CspOperation.replace(
                DEVICE_LOCK + "DevicePasswordHistory", "int", Integer.toString(clamp(count, 0, 50)))));
        return operations;
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

    static Optional<String> text(Map<String, Object> value, String key) {
        return value.get(key) instanceof String text && !text.isBlank() ? Optional.of(text) : Optional.empty();
    }
}
