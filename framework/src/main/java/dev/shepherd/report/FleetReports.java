package dev.shepherd.report;

import dev.shepherd.storage.Transactions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * The reports: the fleet over time (from a daily snapshot this class records), compliance by rule as it is now, and
 * command success by command type over a period. Everything is counted in the database; nothing is kept in memory.
 *
 * <p>Days are UTC days. A day's snapshot is rewritten on every {@link #recordToday()} of that day, so the last
 * recording is what the day keeps; today itself is always counted live, so the first report after installation already
 * has a point, and a day the server was down has none (the chart shows the gap rather than inventing numbers).
 */
public final class FleetReports {

    private static final Logger log = LoggerFactory.getLogger(FleetReports.class);

    /** Devices under management: enrolled, or quarantined (still managed, cut off until compliant). */
    private static final String MANAGED = "d.status IN ('ENROLLED', 'QUARANTINED')";
    /** The longest period a report covers, and how long daily snapshots are kept. */
    public static final int MAX_DAYS = 731;
    /** Distinct OS versions kept per day; the rarest beyond this are counted together as {@link #OTHER}. */
    static final int MAX_OS_BUCKETS = 100;
    static final String OTHER = "other";
    private static final int BUCKET_LENGTH = 120;
    private static final int MAX_RULES = 500;

    /**
     * The fleet on one day.
     *
     * @param day the UTC day
     * @param live whether it was counted just now (today) rather than read from the day's snapshot
     * @param managed devices under management (enrolled or quarantined)
     * @param compliance managed devices per compliance state
     * @param platforms managed devices per platform
     * @param osVersions managed devices per "platform version", the rarest as {@code other}
     */
    public record FleetDay(LocalDate day, boolean live, int managed, Map<String, Integer> compliance, Map<String, Integer> platforms,
                           Map<String, Integer> osVersions) {
        public FleetDay {
            requireNonNull(day, "day is null");
            compliance = Map.copyOf(compliance);
            platforms = Map.copyOf(platforms);
            osVersions = Map.copyOf(osVersions);
        }
    }

    /**
     * One compliance rule and how the devices it applies to fare now.
     *
     * @param ruleId the rule
     * @param name its name
     * @param check what it checks
     * @param enabled whether it is judged
     * @param groupId the group it is limited to; empty for every managed device
     * @param applicable managed devices it applies to
     * @param failing those that fail it (within their grace period or not)
     * @param inGracePeriod those of the failing whose grace period has not run out
     * @param notYetEvaluated applicable devices not judged yet (compliance unknown) that do not fail it
     * @param passing applicable devices that are judged and do not fail it
     */
    public record RuleCompliance(String ruleId, String name, String check, boolean enabled, Optional<String> groupId, int applicable,
                                 int failing, int inGracePeriod, int notYetEvaluated, int passing) {
        public RuleCompliance {
            requireNonNull(ruleId, "ruleId is null");
            requireNonNull(name, "name is null");
            requireNonNull(check, "check is null");
            requireNonNull(groupId, "groupId is null");
        }
    }

    /**
     * How commands of one type fared, over the commands created in a period.
     *
     * @param commandType the command type
     * @param total commands of the type created in the period
     * @param acknowledged those the device carried out
     * @param failed those the device reported as failed
     * @param expired those that expired before the device answered
     * @param cancelled those cancelled
     * @param pending those still waiting (queued, sent, or deferred by the device)
     * @param successRate acknowledged out of those that finished one way or the other (acknowledged, failed, expired),
     *        from 0 to 1; empty while none has finished
     */
    public record CommandSuccess(String commandType, int total, int acknowledged, int failed, int expired, int cancelled, int pending,
                                 Optional<Double> successRate) {
        public CommandSuccess {
            requireNonNull(commandType, "commandType is null");
            requireNonNull(successRate, "successRate is null");
        }
    }

    private final Transactions transactions;
    private final Clock clock;

    public FleetReports(Transactions transactions, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Records today's snapshot (replacing an earlier one of today) and forgets snapshots older than {@link #MAX_DAYS}.
     * Run periodically on one node of the cluster.
     */
    public FleetDay recordToday() {
        LocalDate today = today();
        FleetDay counted = transactions.inTransaction("record the fleet snapshot", tx -> {
            FleetDay day = count(tx.connection(), today);
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM fleet_snapshot WHERE day = ? OR day < ?")) {
                delete.setDate(1, Date.valueOf(today));
                delete.setDate(2, Date.valueOf(today.minusDays(MAX_DAYS)));
                delete.executeUpdate();
            }
            try (PreparedStatement insert = tx.connection().prepareStatement(
                    "INSERT INTO fleet_snapshot (day, dimension, bucket, devices, recorded_at) VALUES (?, ?, ?, ?, ?)")) {
                Timestamp now = Timestamp.from(clock.instant());
                Map<String, Map<String, Integer>> dimensions = new LinkedHashMap<>();
                dimensions.put("managed", Map.of("all", day.managed()));
                dimensions.put("compliance", day.compliance());
                dimensions.put("platform", day.platforms());
                dimensions.put("os", day.osVersions());
                for (Map.Entry<String, Map<String, Integer>> dimension : dimensions.entrySet()) {
                    for (Map.Entry<String, Integer> bucket : dimension.getValue().entrySet()) {
                        insert.setDate(1, Date.valueOf(today));
                        insert.setString(2, dimension.getKey());
                        insert.setString(3, bucket.getKey());
                        insert.setInt(4, bucket.getValue());
                        insert.setTimestamp(5, now);
                        insert.addBatch();
                    }
                }
                insert.executeBatch();
            }
            return day;
        });
        log.debug("Recorded the fleet snapshot of {}: {} managed devices", today, counted.managed());
        return counted;
    }

    /**
     * The fleet per day over the last {@code days} days, oldest first, today (counted live) last. Days without a
     * snapshot are left out.
     *
     * @param days 1 to {@link #MAX_DAYS}, today included
     */
    public List<FleetDay> fleet(int days) {
        if (days < 1 || days > MAX_DAYS) {
            throw new IllegalArgumentException("days must be between 1 and " + MAX_DAYS);
        }
        LocalDate today = today();
        return transactions.read("read the fleet report", connection -> {
            Map<LocalDate, Map<String, Map<String, Integer>>> stored = new TreeMap<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT day, dimension, bucket, devices FROM fleet_snapshot WHERE day >= ? AND day < ?")) {
                select.setDate(1, Date.valueOf(today.minusDays(days - 1L)));
                select.setDate(2, Date.valueOf(today));
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        stored.computeIfAbsent(rows.getDate(1).toLocalDate(), any -> new LinkedHashMap<>())
                                .computeIfAbsent(rows.getString(2), any -> new TreeMap<>())
                                .put(rows.getString(3), rows.getInt(4));
                    }
                }
            }
            List<FleetDay> fleet = new ArrayList<>();
            stored.forEach((day, dimensions) -> fleet.add(new FleetDay(day, false,
                    dimensions.getOrDefault("managed", Map.of()).getOrDefault("all", 0),
                    dimensions.getOrDefault("compliance", Map.of()), dimensions.getOrDefault("platform", Map.of()),
                    dimensions.getOrDefault("os", Map.of()))));
            fleet.add(count(connection, today));
            return fleet;
        });
    }

    /** Every compliance rule (at most 500, by name) with its passing and failing devices now. */
    public List<RuleCompliance> complianceByRule() {
        Instant now = clock.instant();
        return transactions.read("read compliance by rule", connection -> {
            record Rule(String id, String name, String check, boolean enabled, String groupId, int graceHours) {
            }
            List<Rule> rules = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT id, name, kind, enabled, group_id, grace_hours FROM compliance_rule ORDER BY name FETCH FIRST "
                            + MAX_RULES + " ROWS ONLY");
                 ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    String groupId = rows.getString(5);
                    rules.add(new Rule(rows.getString(1).trim(), rows.getString(2), rows.getString(3), rows.getShort(4) != 0,
                            groupId == null ? null : groupId.trim(), rows.getInt(6)));
                }
            }
            int[] fleet = null;
            List<RuleCompliance> report = new ArrayList<>();
            for (Rule rule : rules) {
                int[] applicable;
                if (rule.groupId() == null) {
                    if (fleet == null) {
                        fleet = applicable(connection, "SELECT COUNT(*), SUM(CASE WHEN d.compliance = 'UNKNOWN' THEN 1 ELSE 0 END) "
                                + "FROM device d WHERE " + MANAGED, null);
                    }
                    applicable = fleet;
                } else {
                    applicable = applicable(connection, "SELECT COUNT(*), SUM(CASE WHEN d.compliance = 'UNKNOWN' THEN 1 ELSE 0 END) "
                            + "FROM group_member m JOIN device d ON d.id = m.device_id WHERE m.group_id = ? AND " + MANAGED, rule.groupId());
                }
                int failing = 0;
                int inGrace = 0;
                int unknownFailing = 0;
                try (PreparedStatement select = connection.prepareStatement("""
                        SELECT COUNT(*), SUM(CASE WHEN c.failing_since > ? THEN 1 ELSE 0 END),
                               SUM(CASE WHEN d.compliance = 'UNKNOWN' THEN 1 ELSE 0 END)
                        FROM device_compliance c JOIN device d ON d.id = c.device_id WHERE c.rule_id = ? AND """ + " " + MANAGED)) {
                    select.setTimestamp(1, Timestamp.from(now.minus(Duration.ofHours(rule.graceHours()))));
                    select.setString(2, rule.id());
                    try (ResultSet rows = select.executeQuery()) {
                        if (rows.next()) {
                            failing = rows.getInt(1);
                            inGrace = rows.getInt(2);
                            unknownFailing = rows.getInt(3);
                        }
                    }
                }
                int notYetEvaluated = Math.max(0, applicable[1] - unknownFailing);
                int passing = Math.max(0, applicable[0] - failing - notYetEvaluated);
                report.add(new RuleCompliance(rule.id(), rule.name(), rule.check(), rule.enabled(), Optional.ofNullable(rule.groupId()), applicable[0],
                        failing, inGrace, notYetEvaluated, passing));
            }
            return report;
        });
    }

    /**
     * Commands created in the last {@code days} days by command type, with how they ended, the most used type first.
     *
     * @param days 1 to {@link #MAX_DAYS}
     */
    public List<CommandSuccess> commandSuccess(int days) {
        if (days < 1 || days > MAX_DAYS) {
            throw new IllegalArgumentException("days must be between 1 and " + MAX_DAYS);
        }
        Instant since = clock.instant().minus(Duration.ofDays(days));
        return transactions.read("read command success", connection -> {
            Map<String, Map<String, Integer>> byType = new TreeMap<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT command_type, state, COUNT(*) FROM command WHERE created_at >= ? GROUP BY command_type, state")) {
                select.setTimestamp(1, Timestamp.from(since));
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        byType.computeIfAbsent(rows.getString(1), any -> new TreeMap<>()).merge(rows.getString(2), rows.getInt(3), Integer::sum);
                    }
                }
            }
            List<CommandSuccess> report = new ArrayList<>();
            byType.forEach((type, states) -> {
                int acknowledged = states.getOrDefault("ACKNOWLEDGED", 0);
                int failed = states.getOrDefault("FAILED", 0);
                int expired = states.getOrDefault("EXPIRED", 0);
                int cancelled = states.getOrDefault("CANCELLED", 0);
                int total = states.values().stream().mapToInt(Integer::intValue).sum();
                int finished = acknowledged + failed + expired;
                report.add(new CommandSuccess(type, total, acknowledged, failed, expired, cancelled,
                        total - finished - cancelled, finished == 0 ? Optional.empty() : Optional.of((double) acknowledged / finished)));
            });
            report.sort(Comparator.comparingInt(CommandSuccess::total).reversed().thenComparing(CommandSuccess::commandType));
            return report;
        });
    }

    private LocalDate today() {
        return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    }

    private static int[] applicable(Connection connection, String sql, String groupId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            if (groupId != null) {
                select.setString(1, groupId);
            }
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? new int[]{rows.getInt(1), rows.getInt(2)} : new int[]{0, 0};
            }
        }
    }

    /** The managed fleet now, counted in one grouped query. */
    private static FleetDay count(Connection connection, LocalDate day) throws SQLException {
        int managed = 0;
        Map<String, Integer> compliance = new TreeMap<>();
        Map<String, Integer> platforms = new TreeMap<>();
        Map<String, Integer> osVersions = new TreeMap<>();
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT d.platform, d.compliance, d.os_version, COUNT(*) FROM device d WHERE " + MANAGED
                        + " GROUP BY d.platform, d.compliance, d.os_version");
             ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                int devices = rows.getInt(4);
                managed += devices;
                platforms.merge(bucket(rows.getString(1)), devices, Integer::sum);
                compliance.merge(bucket(rows.getString(2)), devices, Integer::sum);
                String version = rows.getString(3).isBlank() ? "unknown" : rows.getString(3);
                osVersions.merge(bucket(rows.getString(1) + " " + version), devices, Integer::sum);
            }
        }
        return new FleetDay(day, true, managed, compliance, platforms, commonest(osVersions));
    }

    /** The {@link #MAX_OS_BUCKETS} commonest versions, the rest summed as {@link #OTHER}. */
    private static Map<String, Integer> commonest(Map<String, Integer> versions) {
        if (versions.size() <= MAX_OS_BUCKETS) {
            return versions;
        }
        List<Map.Entry<String, Integer>> sorted = new ArrayList<>(versions.entrySet());
        sorted.sort(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        Map<String, Integer> kept = new TreeMap<>();
        for (int i = 0; i < sorted.size(); i++) {
            if (i < MAX_OS_BUCKETS - 1) {
                kept.put(sorted.get(i).getKey(), sorted.get(i).getValue());
            } else {
                kept.merge(OTHER, sorted.get(i).getValue(), Integer::sum);
            }
        }
        return kept;
    }

    private static String bucket(String text) {
        return text.length() > BUCKET_LENGTH ? text.substring(0, BUCKET_LENGTH) : text;
    }
}
