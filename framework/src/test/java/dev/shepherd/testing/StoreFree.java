package dev.shepherd.testing;

import org.junit.jupiter.api.Tag;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test class that never opens a store (a parser, a fuzz target, a configuration reader), or one that compares
 * both engines itself. The framework's second test run, on PostgreSQL, leaves these out (JUnit tag
 * {@value #TAG}); every other test runs on both engines. Mark a class only when nothing it runs reaches
 * {@code TestKernel}, {@code TestServer} or {@code Database}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag(StoreFree.TAG)
public @interface StoreFree {

    /** The JUnit tag the PostgreSQL run excludes. */
    String TAG = "store-free";
}
