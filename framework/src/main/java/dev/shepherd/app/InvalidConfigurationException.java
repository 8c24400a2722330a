package dev.shepherd.app;

import java.util.List;

/**
 * An assignment's managed configuration does not fit the app's schema. Each problem names the field as a JSON
 * Pointer into the configuration ({@code /server: must be …}), so the console can show it beside that field.
 */
public final class InvalidConfigurationException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public InvalidConfigurationException(List<String> problems) {
        super("the configuration does not fit the app's schema: " + String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    /** @return the problems, each as {@code /pointer: message} */
    public List<String> problems() {
        return problems;
    }
}
