package dev.shepherd.plugin;

import dev.shepherd.testing.TestPluginBuilder;

import java.util.List;

/** Source code of the small plugins the plugin-host tests build into real plugin files. */
final class TestPlugins {

    private TestPlugins() {
    }

    /** An endpoint at {@code /mdm/<id>/} answering {@code <text> <version>}. */
    static String answeringEndpoint(String packageName, String text) {
        return TestPluginBuilder.answeringEndpoint(packageName, text);
    }

    /** An endpoint whose answer comes from a bundled library class {@code com.acme.Lib}. */
    static String libraryEndpoint(String packageName) {
        return """
                package %s;

                import dev.shepherd.api.http.DeviceEndpoint;
                import dev.shepherd.api.http.DeviceRequest;
                import dev.shepherd.api.http.DeviceResponse;
                import org.pf4j.Extension;

                @Extension
                public class Answer implements DeviceEndpoint {
                    @Override
                    public DeviceResponse handle(DeviceRequest request) {
                        String kernelInternals;
                        try {
                            Class.forName("dev.shepherd.plugin.PluginHost");
                            kernelInternals = "visible";
                        } catch (ClassNotFoundException e) {
                            kernelInternals = "hidden";
                        }
                        String guice;
                        try {
                            Class.forName("com.google.inject.Guice");
                            guice = "visible";
                        } catch (ClassNotFoundException e) {
                            guice = "hidden";
                        }
                        return DeviceResponse.text(200, "lib " + com.acme.Lib.version() + ", kernel " + kernelInternals
                                + ", guice " + guice);
                    }
                }
                """.formatted(packageName);
    }

    static String library(String version) {
        return """
                package com.acme;

                public final class Lib {
                    public static String version() {
                        return "%s";
                    }
                }
                """.formatted(version);
    }

    static String pluginClassThrowingInStart(String packageName) {
        return """
                package %s;

                public class Boom extends org.pf4j.Plugin {
                    @Override
                    public void start() {
                        throw new IllegalStateException("boom at start");
                    }
                }
                """.formatted(packageName);
    }

    /**
     * An endpoint that misbehaves on request: {@code /throw} throws a RuntimeException, {@code /deep} recurses until
     * the stack overflows (as a naive parser does on deeply nested input), {@code /refuse} refuses the request as the
     * client's fault (422), {@code /hang} never returns, {@code /stuck} never returns and ignores interruption; anything
     * else answers {@code fine}.
     */
    static String misbehavingEndpoint(String packageName) {
        return """
                package %s;

                import dev.shepherd.api.http.DeviceEndpoint;
                import dev.shepherd.api.http.DeviceRequest;
                import dev.shepherd.api.http.DeviceResponse;
                import dev.shepherd.api.http.RequestRefusedException;
                import org.pf4j.Extension;

                @Extension
                public class Misbehaving implements DeviceEndpoint {
                    @Override
                    public DeviceResponse handle(DeviceRequest request) throws Exception {
                        if (request.path().equals("/throw")) {
                            throw new IllegalArgumentException("bug in plugin");
                        }
                        if (request.path().equals("/deep")) {
                            return DeviceResponse.text(200, "depth " + nest(0));
                        }
                        if (request.path().equals("/refuse")) {
                            throw new RequestRefusedException(422, "the body nests too deeply");
                        }
                        if (request.path().equals("/hang")) {
                            while (true) {
                                Thread.sleep(1000);
                            }
                        }
                        if (request.path().equals("/stuck")) {
                            while (true) {
                                try {
                                    Thread.sleep(1000);
                                } catch (InterruptedException deaf) {
                                    // ignores the server's interruption, and so keeps its thread
                                }
                            }
                        }
                        return DeviceResponse.text(200, "fine");
                    }

                    private static int nest(int depth) {
                        return nest(depth + 1) + 1;
                    }
                }
                """.formatted(packageName);
    }

    /**
     * A plugin whose start depends on its configuration: setting {@code switchFile} names a file, and start throws
     * while that file says {@code broken}. Its endpoint answers {@code up <version>}.
     */
    static String pluginClassFailingWhileSwitchFileSaysBroken(String packageName) {
        return """
                package %s;

                import dev.shepherd.api.config.PluginConfig;
                import jakarta.inject.Inject;

                import java.nio.file.Files;
                import java.nio.file.Path;

                public class Moody extends org.pf4j.Plugin {
                    private final PluginConfig config;

                    @Inject
                    public Moody(PluginConfig config) {
                        this.config = config;
                    }

                    @Override
                    public void start() {
                        try {
                            String mood = Files.readString(Path.of(config.get("switchFile").orElseThrow())).strip();
                            if (mood.equals("broken")) {
                                throw new IllegalStateException("configured to fail");
                            }
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }
                }
                """.formatted(packageName);
    }

    /**
     * A plugin with three extensions sharing one tally: an event listener for {@code test.poke} events that throws when
     * the event's {@code mode} is {@code throw}, overflows its stack for {@code overflow}, and counts the event
     * otherwise; a device endpoint answering {@code heard <count>}; and an admin endpoint at {@code /ops} that throws for
     * {@code /ops/throw} and answers {@code ops ok} otherwise.
     */
    static List<String> listeningPlugin(String packageName) {
        String tally = """
                package %s;

                import java.util.concurrent.atomic.AtomicInteger;

                @jakarta.inject.Singleton
                public class Tally {
                    final AtomicInteger heard = new AtomicInteger();
                }
                """.formatted(packageName);
        String listener = """
                package %s;

                import dev.shepherd.api.event.Event;
                import dev.shepherd.api.event.EventListener;
                import jakarta.inject.Inject;
                import org.pf4j.Extension;

                @Extension
                public class Listener implements EventListener {
                    private final Tally tally;

                    @Inject
                    public Listener(Tally tally) {
                        this.tally = tally;
                    }

                    @Override
                    public boolean accepts(String type) {
                        return type.equals("test.poke");
                    }

                    @Override
                    public void onEvent(Event event) {
                        Object mode = event.data().get("mode");
                        if ("throw".equals(mode)) {
                            throw new IllegalStateException("listener bug");
                        }
                        if ("overflow".equals(mode)) {
                            tally.heard.addAndGet(nest(0));
                        }
                        tally.heard.incrementAndGet();
                    }

                    private static int nest(int depth) {
                        return nest(depth + 1) + 1;
                    }
                }
                """.formatted(packageName);
        String endpoint = """
                package %s;

                import dev.shepherd.api.http.DeviceEndpoint;
                import dev.shepherd.api.http.DeviceRequest;
                import dev.shepherd.api.http.DeviceResponse;
                import jakarta.inject.Inject;
                import org.pf4j.Extension;

                @Extension
                public class Heard implements DeviceEndpoint {
                    private final Tally tally;

                    @Inject
                    public Heard(Tally tally) {
                        this.tally = tally;
                    }

                    @Override
                    public DeviceResponse handle(DeviceRequest request) {
                        return DeviceResponse.text(200, "heard " + tally.heard.get());
                    }
                }
                """.formatted(packageName);
        String admin = """
                package %s;

                import dev.shepherd.api.http.AdminEndpoint;
                import dev.shepherd.api.http.AdminRequest;
                import dev.shepherd.api.http.DeviceResponse;
                import org.pf4j.Extension;

                @Extension
                public class Ops implements AdminEndpoint {
                    @Override
                    public String path() {
                        return "/ops";
                    }

                    @Override
                    public String permission() {
                        return "plugin_read";
                    }

                    @Override
                    public DeviceResponse handle(AdminRequest request) {
                        if (request.path().endsWith("/throw")) {
                            throw new IllegalStateException("admin endpoint bug");
                        }
                        return DeviceResponse.text(200, "ops ok");
                    }
                }
                """.formatted(packageName);
        return List.of(tally, listener, endpoint, admin);
    }
}
