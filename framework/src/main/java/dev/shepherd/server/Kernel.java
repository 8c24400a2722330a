package dev.shepherd.server;

import dev.shepherd.app.AppCatalogService;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.cluster.ChangeFeed;
import dev.shepherd.command.CommandService;
import dev.shepherd.device.RecoveryKeys;
import dev.shepherd.compliance.ComplianceService;
import dev.shepherd.device.DeviceService;
import dev.shepherd.directory.DirectoryService;
import dev.shepherd.directory.UserDirectoryService;
import dev.shepherd.enrollment.EnrollmentTokens;
import dev.shepherd.event.EventLog;
import dev.shepherd.event.KernelEventBus;
import dev.shepherd.group.GroupService;
import dev.shepherd.json.Json;
import dev.shepherd.pki.KernelCertificateAuthority;
import dev.shepherd.policy.PolicyService;
import dev.shepherd.policy.SettingSecrets;
import dev.shepherd.policy.SettingTypes;
import dev.shepherd.security.SecretBox;
import dev.shepherd.threat.ThreatService;
import dev.shepherd.webhook.WebhookService;
import dev.shepherd.storage.Database;
import dev.shepherd.storage.MicrosecondClock;
import dev.shepherd.storage.Transactions;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * The kernel's domain services over one store, without HTTP or plugins: what the server, the CLI's offline
 * commands, the benchmarks and the tests all build on.
 *
 * @param transactions the store
 * @param json the JSON codec
 * @param clock the clock
 * @param bus the in-memory event bus
 * @param events the durable event log
 * @param audit the audit log
 * @param enrollmentTokens enrollment tokens
 * @param devices the device registry
 * @param commands the command queue
 * @param groups static and smart groups
 * @param policies policies, assignments, effective policy and desired versus actual
 * @param compliance compliance rules, verdicts, remediation and conditional access
 * @param webhooks webhooks and their deliveries
 * @param directory the people devices belong to
 * @param userDirectory the directory as identity-provider plugins feed it: people by external id, groups, nesting
 * @param certificateAuthority the CA for device identities
 * @param recoveryKeys disk-encryption recovery keys devices escrowed
 * @param changes the change feed that tells the other nodes sharing the store what their caches must drop
 * @param apps the app catalog: apps from the app-store plugins, assignments, licences and per-device app states
 * @param threats the threat state: threat-defense connectors' verdicts per device, their freshness and health
 */
public record Kernel(Transactions transactions, Json json, Clock clock, KernelEventBus bus, EventLog events, AuditLog audit,
                     EnrollmentTokens enrollmentTokens, DeviceService devices, CommandService commands, GroupService groups,
                     PolicyService policies, ComplianceService compliance,
                     WebhookService webhooks, DirectoryService directory, UserDirectoryService userDirectory,
                     KernelCertificateAuthority certificateAuthority, RecoveryKeys recoveryKeys, ChangeFeed changes, AppCatalogService apps,
                     ThreatService threats) {

    public Kernel {
        requireNonNull(transactions, "transactions is null");
        requireNonNull(json, "json is null");
        requireNonNull(clock, "clock is null");
        requireNonNull(bus, "bus is null");
        requireNonNull(events, "events is null");
        requireNonNull(audit, "audit is null");
        requireNonNull(enrollmentTokens, "enrollmentTokens is null");
        requireNonNull(devices, "devices is null");
        requireNonNull(commands, "commands is null");
        requireNonNull(groups, "groups is null");
        requireNonNull(policies, "policies is null");
        requireNonNull(compliance, "compliance is null");
        requireNonNull(webhooks, "webhooks is null");
        requireNonNull(directory, "directory is null");
        requireNonNull(userDirectory, "userDirectory is null");
        requireNonNull(certificateAuthority, "certificateAuthority is null");
        requireNonNull(recoveryKeys, "recoveryKeys is null");
        requireNonNull(changes, "changes is null");
        requireNonNull(apps, "apps is null");
        requireNonNull(threats, "threats is null");
    }

    /**
     * Builds the kernel's services over an open store.
     *
     * @param secrets seals the secrets kept in the store
     */
    public static Kernel over(Database database, SecretBox secrets, Clock clock) {
        return over(database, secrets, clock, new CompositeMeterRegistry());
    }

    /**
     * Builds the kernel's services over an open store, counting its transactions. The kernel reads the clock to the
     * microsecond, the finest time PostgreSQL keeps (Derby keeps nanoseconds), so a record read back from either
     * engine is equal to the one that was written.
     *
     * @param secrets seals the secrets kept in the store
     * @param metrics where the store's commits, rollbacks and retries are counted
     */
    public static Kernel over(Database database, SecretBox secrets, Clock givenClock, MeterRegistry metrics) {
        Clock clock = MicrosecondClock.of(givenClock);
        Transactions transactions = new Transactions(database.dataSource(), metrics);
        Json json = new Json();
        ChangeFeed changes = new ChangeFeed(transactions, clock);
        KernelEventBus bus = new KernelEventBus();
        EventLog events = new EventLog(transactions, json, bus);
        AuditLog audit = new AuditLog(transactions, clock);
        EnrollmentTokens tokens = new EnrollmentTokens(transactions, audit, json, clock);
        DeviceService devices = new DeviceService(transactions, tokens, audit, events, bus, json, clock, changes);
        CommandService commands = new CommandService(transactions, devices, audit, events, json, clock);
        GroupService groups = new GroupService(transactions, devices, audit, events, json, clock);
        SettingTypes settingTypes = new SettingTypes(json.mapper());
        SettingSecrets settingSecrets = new SettingSecrets(secrets);
        PolicyService policies = new PolicyService(transactions, devices, groups, commands, audit, events,
                settingTypes, settingSecrets, json, clock, changes);
        AppCatalogService apps = new AppCatalogService(transactions, devices, groups, commands, audit, events, settingTypes,
                settingSecrets, json, clock);
        ComplianceService compliance = new ComplianceService(transactions, devices, groups, commands, apps, audit, events, json,
                clock);
        ThreatService threats = new ThreatService(transactions, compliance, audit, events, json, clock);
        compliance.setThreats(threats);
        WebhookService webhooks = new WebhookService(transactions, events, audit, secrets, json, clock,
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build());
        UserDirectoryService userDirectory = new UserDirectoryService(transactions, audit, json, clock);
        // A person joining or leaving a directory group at any depth moves their devices in or out of smart groups.
        userDirectory.addRegroupListener(groups::reevaluateDevicesOfUsers);
        return new Kernel(transactions, json, clock, bus, events, audit, tokens, devices, commands, groups, policies, compliance,
                webhooks, new DirectoryService(transactions, audit, json, clock), userDirectory,
                KernelCertificateAuthority.open(transactions, secrets, json, clock, changes),
                new RecoveryKeys(transactions, secrets, audit, json, clock), changes, apps, threats);
    }
}
