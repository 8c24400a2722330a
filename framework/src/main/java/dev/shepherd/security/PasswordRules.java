package dev.shepherd.security;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * What an admin password must not be, beyond its length ({@link PasswordHasher#checkLength}): one of the 49,233
 * most common passwords (the list zxcvbn uses, shipped as {@code common-passwords.txt}), nor one of them, the
 * account's own name or "shepherd" dressed up with digits and punctuation ({@code Password2024!}, {@code admin_123456}),
 * nor trivial: fewer than five different characters, or a run such as {@code abcdefghijkl} or {@code 987654321098}.
 */
public final class PasswordRules {

    private static final String LIST = "common-passwords.txt";
    private static final int MIN_DISTINCT = 5;
    private static final Set<String> PRODUCT_WORDS = Set.of("shepherd", "mdm", "admin", "administrator", "root");

    private final Set<String> common;

    private PasswordRules(Set<String> common) {
        this.common = Set.copyOf(common);
    }

    /** @return the rules with the shipped list of common passwords */
    public static PasswordRules standard() {
        try (InputStream in = PasswordRules.class.getResourceAsStream(LIST)) {
            if (in == null) {
                throw new IllegalStateException(LIST + " is missing from the server's files");
            }
            Set<String> words = new HashSet<>();
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    words.add(line.trim().toLowerCase(Locale.ROOT));
                }
            }
            return new PasswordRules(words);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + LIST, e);
        }
    }

    /**
     * Checks a new password for an account.
     *
     * @throws IllegalArgumentException saying what is wrong, without repeating the password
     */
    public void check(String username, char[] password) {
        requireNonNull(username, "username is null");
        PasswordHasher.checkLength(password);
        String text = new String(password);
        String lower = text.toLowerCase(Locale.ROOT);
        if (text.codePoints().distinct().count() < MIN_DISTINCT) {
            throw new IllegalArgumentException("this password repeats too few characters; use at least " + MIN_DISTINCT + " different ones");
        }
        String core = core(lower);
        if (core.isEmpty() || isRun(core) || isRun(lower.replaceAll("[^a-z0-9]", ""))) {
            throw new IllegalArgumentException("this password is a run of digits or letters; choose one that is hard to guess");
        }
        if (common.contains(lower) || common.contains(core)) {
            throw new IllegalArgumentException("this password is one of the most commonly used ones (or one with digits added); choose another");
        }
        String name = core(username.toLowerCase(Locale.ROOT));
        if (core.equals(name) || PRODUCT_WORDS.contains(core) || !name.isEmpty() && name.length() >= 4 && core.replace(name, "").length() < 4) {
            throw new IllegalArgumentException("this password is the account's name or the product's with a few characters added; choose another");
        }
    }

    /** The letters and digits, without the digits commonly stuck before or after a word ("2024password!1" → "password"). */
    private static String core(String lower) {
        String alphanumeric = lower.replaceAll("[^\\p{L}\\p{N}]", "");
        String stripped = alphanumeric.replaceAll("^\\p{N}+|\\p{N}+$", "");
        return stripped.isEmpty() && !alphanumeric.isEmpty() && !isRun(alphanumeric) && alphanumeric.chars().distinct().count() >= MIN_DISTINCT
                ? alphanumeric : stripped;
    }

    /** Whether each character follows the one before it, up or down: abcdef, 987654, qwerty is in the list anyway. */
    private static boolean isRun(String text) {
        if (text.length() < 3) {
            return false;
        }
        int step = text.charAt(1) - text.charAt(0);
        if (step != 1 && step != -1 && !(step == -9 && Character.isDigit(text.charAt(0)))) {
            return false;
        }
        for (int i = 1; i < text.length(); i++) {
            int difference = text.charAt(i) - text.charAt(i - 1);
            boolean wrapsUp = text.charAt(i - 1) == '9' && text.charAt(i) == '0';
            boolean wrapsDown = text.charAt(i - 1) == '0' && text.charAt(i) == '9';
            if (difference != 1 && difference != -1 && !wrapsUp && !wrapsDown) {
                return false;
            }
        }
        return true;
    }
}
