package dev.shepherd.device;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.event.Event;
import dev.shepherd.audit.AuditEntry;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.event.EventLog;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * What happened to one device, newest first: the events that name it and, for readers allowed the audit log, the audit
 * entries whose target it is, merged into one timeline a page at a time.
 */
public final class DeviceActivity {

    /** A page's cursor: the oldest event and audit positions it showed, so the next page resumes each log below them. */
    private static final Pattern CURSOR = Pattern.compile("e(\\d{1,18})\\.a(\\d{1,18})");

    /**
     * One moment of the timeline: an event or an audit entry.
     *
     * @param at when it happened
     * @param event the event, for an event
     * @param audit the audit entry, for an audit entry
     */
    public record Entry(Instant at, Optional<Event> event, Optional<AuditEntry> audit) {
        public Entry {
            requireNonNull(at, "at is null");
            requireNonNull(event, "event is null");
            requireNonNull(audit, "audit is null");
        }
    }

    /**
     * @param items newest first
     * @param nextCursor for the next, older page; empty on the last one
     */
    public record Page(List<Entry> items, Optional<String> nextCursor) {
        public Page {
            items = List.copyOf(items);
            requireNonNull(nextCursor, "nextCursor is null");
        }
    }

    private final EventLog events;
    private final AuditLog audit;

    public DeviceActivity(EventLog events, AuditLog audit) {
        this.events = requireNonNull(events, "events is null");
        this.audit = requireNonNull(audit, "audit is null");
    }

    /**
     * A page of the device's timeline.
     *
     * @param device the device
     * @param cursor the previous page's {@link Page#nextCursor()}, empty for the newest
     * @param limit the most entries to return
     * @param withAudit whether to include audit entries (the reader holds the audit permission)
     * @throws IllegalArgumentException when the cursor is not one this class made
     */
    public Page read(DeviceId device, Optional<String> cursor, int limit, boolean withAudit) {
        requireNonNull(device, "device is null");
        long eventsBefore = 0;
        long auditBefore = 0;
        if (cursor.isPresent()) {
            Matcher matcher = CURSOR.matcher(cursor.get());
            if (!matcher.matches()) {
                throw new IllegalArgumentException("the cursor is not valid");
            }
            eventsBefore = Long.parseLong(matcher.group(1));
            auditBefore = Long.parseLong(matcher.group(2));
        }
        // Each log resumes below the oldest of its entries shown so far; one none of whose entries was shown yet starts
        // from its newest (cursor 0) again, as its entries were all older than those shown.
        List<EventLog.Logged> logged = events.readOfDevice(device, eventsBefore, limit + 1);
        List<AuditEntry> audited = !withAudit ? List.of()
                : audit.read(AuditFilter.ALL.withTarget("device", device.toString()), auditBefore, limit + 1, true);
        // Each log is read newest first by position; the two are merged by time, always taking the head of one of them,
        // so that what a page shows of each log is a run of its positions and the cursor never skips an entry.
        List<Candidate> shown = new ArrayList<>();
        int nextEvent = 0;
        int nextAudit = 0;
        while (shown.size() < limit && (nextEvent < logged.size() || nextAudit < audited.size())) {
            boolean takeEvent = nextAudit >= audited.size() || nextEvent < logged.size()
                    && !logged.get(nextEvent).event().occurredAt().isBefore(audited.get(nextAudit).occurredAt());
            if (takeEvent) {
                EventLog.Logged entry = logged.get(nextEvent++);
                shown.add(new Candidate(new Entry(entry.event().occurredAt(), Optional.of(entry.event()), Optional.empty()), entry.seq(), true));
            } else {
                AuditEntry entry = audited.get(nextAudit++);
                shown.add(new Candidate(new Entry(entry.occurredAt(), Optional.empty(), Optional.of(entry)), entry.seq(), false));
            }
        }
        List<Entry> items = shown.stream().map(Candidate::entry).toList();
        if (nextEvent >= logged.size() && nextAudit >= audited.size()) {
            return new Page(items, Optional.empty());
        }
        long eventCursor = shown.stream().filter(Candidate::event).mapToLong(Candidate::seq).min().orElse(eventsBefore);
        long auditCursor = shown.stream().filter(candidate -> !candidate.event()).mapToLong(Candidate::seq).min().orElse(auditBefore);
        return new Page(items, Optional.of("e" + eventCursor + ".a" + auditCursor));
    }

    private record Candidate(Entry entry, long seq, boolean event) {
    }
}
