package dev.shepherd.plugin;

/** Source code of the small plugins the plugin-host tests build into real plugin files. */
final class TestPlugins {

    private TestPlugins() {
    }

    /** An endpoint at {@code /mdm/<id>/} answering {@code <text> <version>}. */
    static String answeringEndpoint(String packageName, String text) {
        return """
                package %s;

                import dev.shepherd.api.config.PluginIdentity;
                import dev.shepherd.api.http.DeviceEndpoint;
                import dev.shepherd.api.http.DeviceRequest;
                import dev.shepherd.api.http.DeviceResponse;
                import jakarta.inject.Inject;
                import org.pf4j.Extension;

                @Extension
                public class Answer implements DeviceEndpoint {
                    private final PluginIdentity identity;

                    @Inject
                    public Answer(PluginIdentity identity) {
                        this.identity = identity;
                    }

                    @Override
                    public DeviceResponse handle(DeviceRequest request) {
                        return DeviceResponse.text(200, "%s " + identity.version());
                    }
                }
                """.formatted(packageName, text);
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

    /** An endpoint that throws for {@code /mdm/<id>/throw} and never returns for {@code /mdm/<id>/hang}. */
    static String misbehavingEndpoint(String packageName) {
        return """
                package %s;

                import dev.shepherd.api.http.DeviceEndpoint;
                import dev.shepherd.api.http.DeviceRequest;
                import dev.shepherd.api.http.DeviceResponse;
                import org.pf4j.Extension;

                @Extension
                public class Misbehaving implements DeviceEndpoint {
                    @Override
                    public DeviceResponse handle(DeviceRequest request) throws Exception {
                        if (request.path().equals("/throw")) {
                            throw new IllegalArgumentException("bug in plugin");
                        }
                        if (request.path().equals("/hang")) {
                            while (true) {
                                Thread.sleep(1000);
                            }
                        }
                        return DeviceResponse.text(200, "fine");
                    }
                }
                """.formatted(packageName);
    }
}
