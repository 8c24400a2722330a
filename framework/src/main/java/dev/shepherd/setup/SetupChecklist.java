package dev.shepherd.setup;

import dev.shepherd.api.device.Platform;
import dev.shepherd.api.platform.PlatformSupport;
import dev.shepherd.api.platform.SetupRequirement;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.json.Json;
import dev.shepherd.plugin.PlatformPlugins;
import dev.shepherd.plugin.PlatformPlugins.PlatformSetup;
import dev.shepherd.setup.SetupStep.State;
import dev.shepherd.storage.Transactions;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import static java.util.Objects.requireNonNull;

/**
 * The setup checklist, worked out from the server's real state each time it is asked: the public URL and the TLS
 * certificate the server serves, what each running platform plugin says must be set up in it ({@link
 * PlatformSupport#setupRequirements}, through {@link PlatformPlugins}), the Windows
 * discovery name in the DNS, whether an identity provider runs, and whether an enrollment link and a policy exist.
 * Nothing of it is remembered but an admin's dismissal of the completed list and the domain the DNS step checks.
 */
public final class SetupChecklist {

    /**
     * What the server itself knows about how devices reach it.
     *
     * @param publicUrl the base URL devices are given
     * @param configured whether an operator set it ({@code https.publicUrl}) rather than the server deriving it
     * @param servedChain the certificate chain the server's HTTPS listener serves; empty when HTTPS is off here
     */
    public record Reachability(String publicUrl, boolean configured, List<X509Certificate> servedChain) {
        public Reachability {
            requireNonNull(publicUrl, "publicUrl is null");
            servedChain = List.copyOf(servedChain);
        }
    }

    static final String DISMISSED = "dismissed";
    static final String WINDOWS_DOMAIN = "windows.dnsDomain";
    private static final Duration EXPIRY_WARNING = Duration.ofDays(30);
    private static final Pattern DOMAIN = Pattern.compile("(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}");

    private final Transactions transactions;
    private final SetupStore store;
    private final AuditLog audit;
    private final Json json;
    private final Clock clock;
    private final Supplier<Reachability> reachability;
    private final Supplier<List<PlatformSetup>> platformSetup;
    private final Predicate<String> platformRunning;
    private final BooleanSupplier identityProviderRunning;
    private final HostLookup dns;
    private final Optional<Set<TrustAnchor>> publicRoots;

    /**
     * @param reachability the public URL and the served certificate, read per request (the port is known once bound)
     * @param platformSetup what the running platform plugins say must be set up in them
     * @param platformRunning whether a running plugin manages a platform, by its id
     * @param identityProviderRunning whether a directory or single sign-on plugin runs
     * @param dns the resolver devices would use for the Windows discovery name
     */
    public SetupChecklist(Transactions transactions, AuditLog audit, Json json, Clock clock, Supplier<Reachability> reachability,
                          Supplier<List<PlatformSetup>> platformSetup, Predicate<String> platformRunning, BooleanSupplier identityProviderRunning, HostLookup dns) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.store = new SetupStore(transactions);
        this.audit = requireNonNull(audit, "audit is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.reachability = requireNonNull(reachability, "reachability is null");
        this.platformSetup = requireNonNull(platformSetup, "platformSetup is null");
        this.platformRunning = requireNonNull(platformRunning, "platformRunning is null");
        this.identityProviderRunning = requireNonNull(identityProviderRunning, "identityProviderRunning is null");
        this.dns = requireNonNull(dns, "dns is null");
        this.publicRoots = publicRoots();
    }

    /** @return the checklist as the server finds it now */
    public Setup check() {
        List<SetupStep> steps = new ArrayList<>();
        steps.add(publicUrlStep());
        steps.addAll(platformSteps());
        steps.add(windowsDnsStep());
        steps.add(identityStep());
        steps.add(store.any("enrollment_token")
                ? done("enrollment-link", "First enrollment link", "An enrollment link has been created.", "#/enrollment", List.of())
                : new SetupStep("enrollment-link", "First enrollment link", State.TODO, "No enrollment link has been created yet.",
                "Create an enrollment link, then open it on a device or let the device scan its QR code.", "#/enrollment", List.of()));
        steps.add(store.any("policy")
                ? done("first-policy", "First policy", "A policy exists.", "#/policies", List.of())
                : new SetupStep("first-policy", "First policy", State.TODO, "No policy exists yet.",
                "Create a policy (a passcode rule, Wi-Fi, restrictions) and assign it to a group.", "#/policies", List.of()));
        boolean complete = steps.stream().noneMatch(SetupStep::open);
        return new Setup(steps, complete, store.get(DISMISSED).map(Boolean::parseBoolean).orElse(false), clock.instant());
    }

    /**
     * What keeps devices of a platform from enrolling with a link now: the public URL and certificate step, and the
     * platform's own steps (its plugin's setup), when they are open.
     */
    public EnrollmentReadiness readiness(String platform) {
        requireNonNull(platform, "platform is null");
        boolean running = platformRunning.test(platform);
        List<SetupStep> blocking = new ArrayList<>();
        List<SetupStep> advice = new ArrayList<>();
        for (SetupStep step : check().steps()) {
            boolean concerns = step.id().equals("public-url") || step.platforms().contains(platform);
            if (!concerns || !step.open()) {
                continue;
            }
            // A link hands Windows the server's address itself; the discovery name serves those who type only their e-mail.
            (step.id().equals("windows-dns") ? advice : blocking).add(step);
        }
        return new EnrollmentReadiness(platform, running, running && blocking.isEmpty(), blocking, advice);
    }

    /**
     * Dismisses the checklist, allowed only once every step is done (or not used): until then it stays on the dashboard.
     *
     * @throws SetupIncompleteException naming the open steps
     */
    public Setup dismiss(Actor actor) {
        Setup now = check();
        if (!now.complete()) {
            throw new SetupIncompleteException("The checklist can be dismissed once it is complete; still open: "
                    + String.join(", ", now.steps().stream().filter(SetupStep::open).map(SetupStep::title).toList()) + ".");
        }
        remember("dismiss the setup checklist", actor, DISMISSED, "true", "setup.dismiss", Map.of());
        return check();
    }

    /**
     * Sets the domain whose {@code enterpriseenrollment.<domain>} name the Windows step checks: the domain of the
     * e-mail addresses users type when they enroll a PC.
     *
     * @throws IllegalArgumentException when it is not a domain name
     */
    public Setup setWindowsDomain(Actor actor, String domain) {
        String normalised = requireNonNull(domain, "domain is null").strip().toLowerCase(Locale.ROOT);
        if (normalised.endsWith(".")) {
            normalised = normalised.substring(0, normalised.length() - 1);
        }
        if (!DOMAIN.matcher(normalised).matches()) {
            throw new IllegalArgumentException("domain: '" + domain.strip() + "' is not a domain name such as example.com");
        }
        remember("set the Windows discovery domain", actor, WINDOWS_DOMAIN, normalised, "setup.windows-domain", Map.of("domain", normalised));
        return check();
    }

    private void remember(String what, Actor actor, String name, String value, String action, Map<String, Object> after) {
        transactions.inTransaction(what, tx -> {
            store.put(tx.connection(), name, value, actor.toString(), clock.instant());
            audit.append(tx, new AuditRecord(actor, action, "setup", name, Optional.empty(), Optional.of(json.write(after))));
            return null;
        });
    }

    private SetupStep publicUrlStep() {
        String id = "public-url";
        String title = "Public URL and trusted TLS certificate";
        Reachability reach = reachability.get();
        URI url = URI.create(reach.publicUrl());
        if (!reach.configured()) {
            return new SetupStep(id, title, State.TODO, "No public URL is set: devices are given " + reach.publicUrl()
                    + ", which the server made up from its own host name.",
                    "Set https.publicUrl (SHEPHERD_HTTPS_PUBLIC_URL) to the https address devices reach the server at, and restart.", "", List.of());
        }
        if (!"https".equals(url.getScheme())) {
            return new SetupStep(id, title, State.TODO, "The public URL " + reach.publicUrl() + " is plain http; devices enroll over https only.",
                    "Set https.publicUrl to an https address.", "", List.of());
        }
        if (reach.servedChain().isEmpty()) {
            return done(id, title, "Devices reach the server at " + reach.publicUrl() + ". HTTPS ends in front of this server (its own"
                    + " HTTPS listener is off), so the server cannot see that certificate: it must come from a public certificate authority.",
                    "", List.of());
        }
        X509Certificate leaf = reach.servedChain().get(0);
        String subject = commonName(leaf);
        String facts = "Devices reach the server at " + reach.publicUrl() + "; it serves a certificate for " + subject + ", issued by "
                + commonName(leaf.getIssuerX500Principal().getName()) + ", valid until " + leaf.getNotAfter().toInstant() + ".";
        if (leaf.getSubjectX500Principal().equals(leaf.getIssuerX500Principal())) {
            return new SetupStep(id, title, State.TODO, facts + " It is self-signed, so devices refuse it.",
                    "Give the server a certificate from a public certificate authority (https.keystore), or end TLS at a proxy that has one.",
                    "", List.of());
        }
        Optional<String> untrusted = untrusted(reach.servedChain());
        if (untrusted.isPresent()) {
            return new SetupStep(id, title, State.TODO, facts + " It does not chain to a public root: " + untrusted.get() + ".",
                    "Serve the full chain of a certificate from a public certificate authority (https.keystore).", "", List.of());
        }
        if (!names(leaf, url.getHost())) {
            return new SetupStep(id, title, State.TODO, facts + " It does not name " + url.getHost() + ".",
                    "Serve a certificate whose names include " + url.getHost() + ".", "", List.of());
        }
        if (leaf.getNotAfter().toInstant().isBefore(clock.instant().plus(EXPIRY_WARNING))) {
            return new SetupStep(id, title, State.ATTENTION, facts + " It expires within " + EXPIRY_WARNING.toDays() + " days.",
                    "Renew the certificate before it expires.", "", List.of());
        }
        return done(id, title, facts + " It chains to a public root.", "", List.of());
    }

    /**
     * One step per requirement the running platform plugins name; plugins naming the same requirement share its step,
     * which is done only when every one of them says so. A plugin that fails to answer is a step of its own that
     * needs attention.
     */
    private List<SetupStep> platformSteps() {
        Map<String, List<Reported>> byId = new LinkedHashMap<>();
        List<SetupStep> steps = new ArrayList<>();
        for (PlatformSetup answer : platformSetup.get()) {
            if (answer.failure().isPresent()) {
                steps.add(new SetupStep("plugin-" + answer.pluginId(), "The " + answer.pluginId() + " plugin", State.ATTENTION,
                        "It did not say what must be set up in it (" + answer.failure().get() + ").", "Look at the plugin on the plugins page.",
                        "#/plugins", List.of(answer.platform().id())));
                continue;
            }
            answer.requirements().forEach(requirement -> byId.computeIfAbsent(requirement.id(), id -> new ArrayList<>())
                    .add(new Reported(answer.pluginId(), answer.platform(), requirement)));
        }
        byId.forEach((id, reports) -> {
            List<Reported> open = reports.stream().filter(report -> !report.requirement().done()).toList();
            Reported lead = open.isEmpty() ? reports.get(0) : open.get(0);
            List<String> platforms = reports.stream().map(report -> report.platform().id()).distinct().toList();
            String detail = (open.isEmpty() ? reports : open).stream().map(report -> report.requirement().detail()).distinct()
                    .collect(Collectors.joining(" "));
            String link = lead.requirement().consolePage().map(page -> "#/plugins/" + lead.pluginId() + "/" + page).orElse("#/plugins");
            steps.add(open.isEmpty()
                    ? done(id, lead.requirement().title(), detail, link, platforms)
                    : new SetupStep(id, lead.requirement().title(), State.TODO, detail, lead.requirement().action(), link, platforms));
        });
        return steps;
    }

    /** A requirement as one plugin reported it. */
    private record Reported(String pluginId, Platform platform, SetupRequirement requirement) {
    }

    private SetupStep windowsDnsStep() {
        String id = "windows-dns";
        String title = "Windows discovery DNS";
        List<String> platforms = List.of("windows");
        if (!platformRunning.test("windows")) {
            return new SetupStep(id, title, State.NOT_USED, "No plugin for Windows runs, so PCs are not managed here.",
                    "Install the Windows plugin if you manage PCs.", "#/plugins", platforms);
        }
        Optional<String> domain = store.get(WINDOWS_DOMAIN);
        if (domain.isEmpty()) {
            return new SetupStep(id, title, State.TODO, "No domain has been given to check.",
                    "Enter the domain of your users' e-mail addresses: Windows looks up enterpriseenrollment.<domain> to find the server.",
                    "", platforms);
        }
        String name = "enterpriseenrollment." + domain.get();
        String host = URI.create(reachability.get().publicUrl()).getHost();
        try {
            Set<String> discovery = dns.addresses(name);
            Set<String> server = dns.addresses(host);
            if (discovery.isEmpty()) {
                return new SetupStep(id, title, State.TODO, name + " does not resolve.",
                        "Add a DNS record: " + name + " CNAME " + host + ". Then check again.", "", platforms);
            }
            Set<String> shared = new HashSet<>(discovery);
            shared.retainAll(server);
            if (shared.isEmpty()) {
                return new SetupStep(id, title, State.TODO, name + " resolves to " + String.join(", ", discovery) + ", but the server ("
                        + host + ") is at " + (server.isEmpty() ? "no address" : String.join(", ", server)) + ".",
                        "Point " + name + " at the server: " + name + " CNAME " + host + ". Then check again.", "", platforms);
            }
            return done(id, title, name + " resolves to the server (" + String.join(", ", shared) + ").", "", platforms);
        } catch (HostLookup.HostLookupException e) {
            return new SetupStep(id, title, State.ATTENTION, "The DNS lookup could not be made: " + e.getMessage() + ".",
                    "Check again in a moment.", "", platforms);
        }
    }

    private SetupStep identityStep() {
        String id = "identity-provider";
        String title = "Identity provider";
        if (identityProviderRunning.getAsBoolean()) {
            return done(id, title, "A directory or single sign-on plugin runs.", "#/users", List.of());
        }
        if (store.any("directory_provider")) {
            // SCIM clients push people without the server signing anyone in through a plugin.
            return done(id, title, "A directory has sent its people and groups.", "#/users", List.of());
        }
        return new SetupStep(id, title, State.TODO, "No directory or single sign-on plugin runs: people exist only as admins add them.",
                "Connect your directory (LDAP or Active Directory, SCIM from Entra ID or Okta) or single sign-on (OpenID Connect) with its plugin.",
                "#/plugins", List.of());
    }

    private static SetupStep done(String id, String title, String detail, String link, List<String> platforms) {
        return new SetupStep(id, title, State.DONE, detail, "", link, platforms);
    }

    /** @return why the chain does not lead to a root the JDK trusts, or empty when it does */
    private Optional<String> untrusted(List<X509Certificate> chain) {
        if (publicRoots.isEmpty()) {
            return Optional.of("the server has no list of public roots to check against");
        }
        try {
            PKIXParameters parameters = new PKIXParameters(publicRoots.get());
            parameters.setRevocationEnabled(false);
            parameters.setDate(Date.from(clock.instant()));
            CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(chain), parameters);
            return Optional.empty();
        } catch (GeneralSecurityException e) {
            return Optional.of(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    /** The roots the JDK trusts by default: the same public certificate authorities devices trust. */
    private static Optional<Set<TrustAnchor>> publicRoots() {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init((KeyStore) null);
            Set<TrustAnchor> anchors = new HashSet<>();
            for (var manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    for (X509Certificate root : x509.getAcceptedIssuers()) {
                        anchors.add(new TrustAnchor(root, null));
                    }
                }
            }
            return anchors.isEmpty() ? Optional.empty() : Optional.of(Set.copyOf(anchors));
        } catch (GeneralSecurityException e) {
            return Optional.empty();
        }
    }

    private static boolean names(X509Certificate certificate, String host) {
        String wanted = host.toLowerCase(Locale.ROOT);
        try {
            Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> alternative : alternatives) {
                    if (alternative.size() == 2 && alternative.get(1) instanceof String name && matches(name.toLowerCase(Locale.ROOT), wanted)) {
                        return true;
                    }
                }
                return false;
            }
        } catch (CertificateParsingException e) {
            return false;
        }
        return matches(commonName(certificate).toLowerCase(Locale.ROOT), wanted);
    }

    private static boolean matches(String name, String host) {
        if (name.startsWith("*.")) {
            int dot = host.indexOf('.');
            return dot > 0 && host.substring(dot + 1).equals(name.substring(2));
        }
        return name.equals(host);
    }

    private static String commonName(X509Certificate certificate) {
        return commonName(certificate.getSubjectX500Principal().getName());
    }

    private static String commonName(String distinguishedName) {
        try {
            for (Rdn rdn : new LdapName(distinguishedName).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return String.valueOf(rdn.getValue());
                }
            }
        } catch (InvalidNameException e) {
            return distinguishedName;
        }
        return distinguishedName;
    }
}
