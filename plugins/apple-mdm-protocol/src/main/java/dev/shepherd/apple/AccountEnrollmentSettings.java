package dev.shepherd.apple;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.device.Ownership;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * What an admin set for account-driven enrollment ({@link AccountEnrollmentEndpoint}), kept in the plugin's storage so
 * every node reads the same: for each of the two modes, the Managed Apple Account domains accepted and the enrollment
 * link (one that asks for the user's sign-in) whose ownership, platform, group and uses the enrollments spend, its
 * secret sealed. A domain is served in one mode: the device follows the first server the well-known answer names
 * whose version it supports, so a second would never be reached.
 */
final class AccountEnrollmentSettings {

    /**
     * The two account-driven enrollments, by the {@code Version} the well-known answer names them with and the
     * {@code EnrollmentMode} of their profile.
     */
    enum Mode {
        /** Account-driven user enrollment of a personal device (iOS 15+, macOS 14+). */
        USER("mdm-byod", "BYOD", Ownership.PERSONAL, "account-enrollment/"),
        /** Account-driven device enrollment of an organisation's device (iOS 17+, macOS 14+). */
        DEVICE("mdm-adde", "ADDE", Ownership.CORPORATE, "account-enrollment/adde/");

        private final String version;
        private final String enrollmentMode;
        private final Ownership ownership;
        private final String keyPrefix;

        Mode(String version, String enrollmentMode, Ownership ownership, String keyPrefix) {
            this.version = version;
            this.enrollmentMode = enrollmentMode;
            this.ownership = ownership;
            this.keyPrefix = keyPrefix;
        }

        /** @return the {@code Version} in the well-known answer */
        String version() {
            return version;
        }

        /** @return the profile's {@code EnrollmentMode} */
        String enrollmentMode() {
            return enrollmentMode;
        }

        /** @return the ownership the enrollment link of this mode must give */
        Ownership ownership() {
            return ownership;
        }
    }

    /**
     * One mode's setting.
     *
     * @param domains the Managed Apple Account domains
     * @param link the link's secret, or the link itself ({@code https://…/enroll/<secret>})
     */
    record Choice(List<String> domains, String link) {
        /** Checks both are present. */
        Choice {
            domains = List.copyOf(domains);
            requireNonNull(link, "link is null");
        }
    }

    private static final Pattern DOMAIN = Pattern.compile("[a-z0-9-]{1,63}(\\.[a-z0-9-]{1,63})+");
    private static final Pattern LINK_SECRET = Pattern.compile("[A-Za-z0-9_-]{16,128}");
    private static final int MAX_DOMAINS = 50;

    private final PluginStorage storage;
    private final SecretSealer sealer;

    AccountEnrollmentSettings(PluginStorage storage, SecretSealer sealer) {
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
    }

    /** @return the domains accepted in the mode, in lower case; empty when none is set */
    Set<String> domains(Mode mode) {
        return storage.get(mode.keyPrefix + "domains").map(bytes -> new String(bytes, StandardCharsets.UTF_8)).stream()
                .flatMap(text -> Arrays.stream(text.split(","))).filter(domain -> !domain.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    /** @return the secret of the mode's enrollment link, when set */
    Optional<String> link(Mode mode) {
        return storage.get(mode.keyPrefix + "link").map(sealer::open).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
    }

    /** @return the mode a domain (in lower case) is served in, when it is set with its link */
    Optional<Mode> modeOf(String domain) {
        return Arrays.stream(Mode.values()).filter(mode -> link(mode).isPresent() && domains(mode).contains(domain)).findFirst();
    }

    /**
     * Replaces everything: the modes given are set, the others turned off. Nothing changes when anything is malformed.
     *
     * @throws IllegalArgumentException naming what is malformed
     */
    void set(Map<Mode, Choice> choices) {
        if (choices.isEmpty()) {
            throw new IllegalArgumentException("set account-driven user enrollment, device enrollment or both");
        }
        Map<Mode, List<String>> domains = new EnumMap<>(Mode.class);
        Map<Mode, String> secrets = new EnumMap<>(Mode.class);
        Set<String> seen = new HashSet<>();
        for (Map.Entry<Mode, Choice> choice : choices.entrySet()) {
            List<String> normalized = normalizedDomains(choice.getValue().domains());
            for (String domain : normalized) {
                if (!seen.add(domain)) {
                    throw new IllegalArgumentException(domain + " is set for both user and device enrollment; a domain is served in one mode");
                }
            }
            domains.put(choice.getKey(), normalized);
            secrets.put(choice.getKey(), secretOf(choice.getValue().link()));
        }
        for (Mode mode : Mode.values()) {
            if (domains.containsKey(mode)) {
                storage.put(mode.keyPrefix + "link", sealer.seal(secrets.get(mode).getBytes(StandardCharsets.UTF_8)));
                storage.put(mode.keyPrefix + "domains", String.join(",", domains.get(mode)).getBytes(StandardCharsets.UTF_8));
            } else {
                clear(mode);
            }
        }
    }

    /** @return whether anything was set */
    boolean clear() {
        boolean any = false;
        for (Mode mode : Mode.values()) {
            any |= clear(mode);
        }
        return any;
    }

    private boolean clear(Mode mode) {
        boolean domains = storage.delete(mode.keyPrefix + "domains");
        return storage.delete(mode.keyPrefix + "link") | domains;
    }

    private static List<String> normalizedDomains(List<String> domains) {
        if (domains.isEmpty() || domains.size() > MAX_DOMAINS) {
            throw new IllegalArgumentException("domains lists 1 to " + MAX_DOMAINS + " Managed Apple Account domains");
        }
        List<String> normalized = domains.stream().map(domain -> domain.trim().toLowerCase(Locale.ROOT)).distinct().toList();
        for (String domain : normalized) {
            if (domain.length() > 253 || !DOMAIN.matcher(domain).matches()) {
                throw new IllegalArgumentException("not a domain name: " + domain);
            }
        }
        return normalized;
    }

    private static String secretOf(String link) {
        String secret = link.trim();
        int slash = secret.lastIndexOf('/');
        if (slash >= 0) {
            secret = secret.substring(slash + 1);
        }
        int query = secret.indexOf('?');
        if (query >= 0) {
            secret = secret.substring(0, query);
        }
        if (!LINK_SECRET.matcher(secret).matches()) {
            throw new IllegalArgumentException("link is an enrollment link (https://…/enroll/<secret>) or its secret");
        }
        return secret;
    }
}
