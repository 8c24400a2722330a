package dev.shepherd.testing;

import org.junit.jupiter.api.Tag;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a browser test of the console's look: layout, themes, narrow screens, screenshots. It runs a server on a
 * store, but nothing it checks depends on which engine that is, so the framework's second test run, on PostgreSQL,
 * leaves it out (JUnit tag {@value #TAG}) to keep CI's time for the tests the engine matters to.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag(LookOnly.TAG)
public @interface LookOnly {

    /** The JUnit tag the PostgreSQL run excludes. */
    String TAG = "look-only";
}
