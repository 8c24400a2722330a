package dev.shepherd.device;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Makes operating-system versions comparable as strings: {@code 17.4.1} becomes {@code 000017.000004.000001.000000}. */
public final class OsVersion {

    private static final Pattern NUMBER = Pattern.compile("\\d+");
    private static final int PARTS = 4;

    private OsVersion() {
    }

    /**
     * @param version a version such as {@code 17.4.1} or {@code 10.0.22631.3296}
     * @return its sortable key; empty when the version has no number in it
     */
    public static String key(String version) {
        Matcher matcher = NUMBER.matcher(version);
        StringBuilder key = new StringBuilder();
        int parts = 0;
        while (parts < PARTS && matcher.find()) {
            String digits = matcher.group();
            long value = digits.length() > 6 ? 999_999 : Math.min(999_999, Long.parseLong(digits));
            if (parts > 0) {
                key.append('.');
            }
            key.append(String.format("%06d", value));
            parts++;
        }
        if (parts == 0) {
            return "";
        }
        while (parts++ < PARTS) {
            key.append(".000000");
        }
        return key.toString();
    }

    /**
     * @param key a key {@link #key} made
     * @return the version it stands for, written shortest ({@code 000017.000004.000000.000000} is {@code 17.4}); the
     *         text as it is when it is not such a key
     */
    public static String fromKey(String key) {
        String[] parts = key.split("\\.");
        if (parts.length != PARTS || !key.matches("\\d{6}(\\.\\d{6}){3}")) {
            return key;
        }
        int shown = PARTS;
        while (shown > 1 && Long.parseLong(parts[shown - 1]) == 0) {
            shown--;
        }
        StringBuilder version = new StringBuilder();
        for (int index = 0; index < shown; index++) {
            if (index > 0) {
                version.append('.');
            }
            version.append(Long.parseLong(parts[index]));
        }
        return version.toString();
    }

    /**
     * Whether a version is below a bound, compared number by number (2.9 is below 2.10); a version or bound without
     * numbers is never below anything. The app catalog's updates, the app-inventory search and the app compliance
     * rules all compare this way (the search in SQL, on the stored {@link #key}).
     */
    public static boolean below(String version, String bound) {
        String have = key(version);
        String limit = key(bound);
        return !have.isEmpty() && !limit.isEmpty() && have.compareTo(limit) < 0;
    }
}
