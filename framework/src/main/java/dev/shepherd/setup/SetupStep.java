package dev.shepherd.setup;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * One step of the setup checklist, as the server finds it now.
 *
 * @param id stable identifier, such as {@code apple-push}
 * @param title what the step is, in words
 * @param state whether it is done
 * @param detail what the server found, in words (a certificate's issuer, the addresses a name resolves to)
 * @param action what to do next, in words; empty when the step is done
 * @param link the console page that completes the step, as a console route such as {@code #/enrollment}
 * @param platforms the platforms that cannot enroll until this step is done (empty: none in particular)
 */
public record SetupStep(String id, String title, State state, String detail, String action, String link, List<String> platforms) {

    /** Whether a step is done. */
    public enum State {
        /** Done: nothing to do. */
        DONE,
        /** Not done yet. */
        TODO,
        /** Set up but in trouble (the plugin failed to answer, a certificate expires soon): look at it. */
        ATTENTION,
        /** Not used here: no plugin for it runs, so nothing depends on it. */
        NOT_USED
    }

    public SetupStep {
        requireNonNull(id, "id is null");
        requireNonNull(title, "title is null");
        requireNonNull(state, "state is null");
        requireNonNull(detail, "detail is null");
        requireNonNull(action, "action is null");
        requireNonNull(link, "link is null");
        platforms = List.copyOf(platforms);
    }

    /** @return whether the step keeps the checklist from being complete */
    public boolean open() {
        return state == State.TODO || state == State.ATTENTION;
    }
}
