package dev.shepherd.plugins.windows.management;

import dev.shepherd.api.device.DeviceId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * The open OMA-DM sessions, in memory: a session's messages follow each other within seconds, and all that matters
 * beyond it (command results, inventory, the push channel) is stored the moment it arrives. Bounded in number and
 * forgotten when idle; a PC whose session was forgotten simply has its unanswered commands handed out again in its
 * next session, as the command bus delivers at least once.
 */
@Singleton
public final class Sessions {

    /** Windows waits at most a few minutes for an answer; a session idle for longer is over. */
    static final Duration IDLE = Duration.ofMinutes(10);
    static final int MAX_SESSIONS = 10_000;

    private final Clock clock;
    private final LinkedHashMap<String, Session> open = new LinkedHashMap<>(64, 0.75f, true);

    @Inject
    public Sessions() {
        this(Clock.systemUTC());
    }

    Sessions(Clock clock) {
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * @param fresh whether the message opens the session (its MsgID is 1), which replaces any state of an earlier
     *        session of the PC that happened to use the same SessionID
     * @return the session, opened if it is new
     */
    synchronized Session session(String storageKey, String sessionId, DeviceId device, boolean fresh) {
        expire();
        String key = storageKey + '\n' + sessionId;
        Session session = fresh ? null : open.get(key);
        if (session == null || !session.device().equals(device)) {
            session = new Session(storageKey, device, clock.instant());
            open.put(key, session);
            if (open.size() > MAX_SESSIONS) {
                Iterator<Map.Entry<String, Session>> eldest = open.entrySet().iterator();
                eldest.next();
                eldest.remove();
            }
        }
        session.touch(clock.instant());
        return session;
    }

    /** Forgets every session of a PC, as when it leaves management. */
    synchronized void forget(String storageKey) {
        open.keySet().removeIf(key -> key.startsWith(storageKey + '\n'));
    }

    private void expire() {
        // Access order: the least recently used come first, so the scan stops at the first live one.
        Iterator<Session> sessions = open.values().iterator();
        while (sessions.hasNext()) {
            if (sessions.next().touched().plus(IDLE).isAfter(clock.instant())) {
                return;
            }
            sessions.remove();
        }
    }
}
