package dev.shepherd.apple;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * What an admin set for account-driven enrollment ({@link AccountEnrollmentEndpoint}), kept in the plugin's storage so
 * every node reads the same: the Managed Apple Account domains accepted, and the enrollment link (one that asks for
 * the user's sign-in) whose ownership, platform, group and uses the enrollments spend, its secret sealed.
 */
final class AccountEnrollmentSettings {

    private static final String DOMAINS_KEY = "account-enrollment/domains";
    private static final String LINK_KEY = "account-enrollment/link";
    private static final Pattern DOMAIN = Pattern.compile("[a-z0-9-]{1,63}(\\.[a-z0-9-]{1,63})+");
    private static final Pattern LINK_SECRET = Pattern.compile("[A-Za-z0-9_-]{16,128}");
    private static final int MAX_DOMAINS = 50;

    private final PluginStorage storage;
    private final SecretSealer sealer;

    AccountEnrollmentSettings(PluginStorage storage, SecretSealer sealer) {
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
    }

    /** @return the domains accepted, in lower case; empty when none is set */
    Set<String> domains() {
        return storage.get(DOMAINS_KEY).map(bytes -> new String(bytes, StandardCharsets.UTF_8)).stream()
                .flatMap(text -> Arrays.stream(text.split(","))).filter(domain -> !domain.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    /** @return the enrollment link's secret, when set */
    Optional<String> link() {
        return storage.get(LINK_KEY).map(sealer::open).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
    }

    /**
     * Replaces both.
     *
     * @param link the link's secret, or the link itself ({@code https://…/enroll/<secret>})
     * @throws IllegalArgumentException naming what is malformed
     */
    void set(List<String> domains, String link) {
        if (domains.isEmpty() || domains.size() > MAX_DOMAINS) {
            throw new IllegalArgumentException("domains lists 1 to " + MAX_DOMAINS + " Managed Apple Account domains");
        }
        List<String> normalized = domains.stream().map(domain -> domain.trim().toLowerCase(Locale.ROOT)).distinct().toList();
        for (String domain : normalized) {
            if (domain.length() > 253 || !DOMAIN.matcher(domain).matches()) {
                throw new IllegalArgumentException("not a domain name: " + domain);
            }
        }
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
        storage.put(LINK_KEY, sealer.seal(secret.getBytes(StandardCharsets.UTF_8)));
        storage.put(DOMAINS_KEY, String.join(",", normalized).getBytes(StandardCharsets.UTF_8));
    }

    /** @return whether anything was set */
    boolean clear() {
        boolean domains = storage.delete(DOMAINS_KEY);
        return storage.delete(LINK_KEY) | domains;
    }
}
