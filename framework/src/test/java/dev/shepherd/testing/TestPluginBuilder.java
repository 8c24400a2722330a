package dev.shepherd.testing;

import dev.shepherd.api.ShepherdApi;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static java.util.Objects.requireNonNull;

/**
 * Builds real plugin files for tests: compiles Java sources with the JDK compiler against the plugin API only
 * (PF4J's annotation processor writes the extension index, as in a real build), and packages them as a PF4J
 * jar, or as a zip with {@code lib/} holding the plugin jar and any bundled libraries.
 */
public final class TestPluginBuilder {

    private final String id;
    private final String version;
    private String requires = "^" + ShepherdApi.version();
    private String pluginClass = "";
    private final Map<String, String> sources = new LinkedHashMap<>();
    private final Map<String, byte[]> resources = new LinkedHashMap<>();
    private final List<Path> libraries = new ArrayList<>();
    private boolean bundleApi;

    private TestPluginBuilder(String id, String version) {
        this.id = requireNonNull(id, "id is null");
        this.version = requireNonNull(version, "version is null");
    }

    public static TestPluginBuilder plugin(String id, String version) {
        return new TestPluginBuilder(id, version);
    }

    /** The Plugin-Requires range; empty leaves the attribute out. */
    public TestPluginBuilder requires(String range) {
        this.requires = range;
        return this;
    }

    public TestPluginBuilder pluginClass(String className) {
        this.pluginClass = className;
        return this;
    }

    /** Adds a source file; the class name is read from its package and first public type. */
    public TestPluginBuilder source(String code) {
        sources.put(className(code), code);
        return this;
    }

    public TestPluginBuilder resource(String path, String content) {
        resources.put(path, content.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** Bundles a library jar into the zip's {@code lib/} (and compiles against it). */
    public TestPluginBuilder library(Path jar) {
        libraries.add(jar);
        return this;
    }

    /** Copies the plugin API's classes into the plugin, which the kernel must refuse. */
    public TestPluginBuilder bundlingTheApi() {
        this.bundleApi = true;
        return this;
    }

    /** Builds a zip plugin ({@code lib/<id>.jar} plus bundled libraries). */
    public Path buildZip(Path directory, String fileName) {
        Path work = tempDirectory();
        Path pluginJar = work.resolve(id + "-" + version + ".jar");
        writePluginJar(pluginJar, work);
        Path zip = directory.resolve(fileName);
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            addFile(out, "lib/" + pluginJar.getFileName(), pluginJar);
            for (Path library : libraries) {
                addFile(out, "lib/" + library.getFileName(), library);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return zip;
    }

    /** Builds a single-jar plugin; bundled libraries are not possible in this layout. */
    public Path buildJar(Path directory, String fileName) {
        if (!libraries.isEmpty()) {
            throw new IllegalStateException("a jar plugin cannot bundle libraries; use buildZip");
        }
        Path jar = directory.resolve(fileName);
        writePluginJar(jar, tempDirectory());
        return jar;
    }

    /** Source of an endpoint at {@code /mdm/<id>/} answering {@code <text> <version>}, the smallest plugin that serves. */
    public static String answeringEndpoint(String packageName, String text) {
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

    /** Compiles sources into a plain library jar (no plugin descriptor). */
    public static Path libraryJar(Path directory, String fileName, String... codes) {
        Path classes = tempDirectory().resolve("classes");
        Map<String, String> sources = new LinkedHashMap<>();
        for (String code : codes) {
            sources.put(className(code), code);
        }
        compile(sources, List.of(), classes);
        Path jar = directory.resolve(fileName);
        writeJar(jar, classes, new Manifest(), Map.of());
        return jar;
    }

    private void writePluginJar(Path jar, Path work) {
        Path classes = work.resolve("classes");
        compile(sources, libraries, classes);
        if (bundleApi) {
            copyApiClasses(classes);
        }
        Manifest manifest = new Manifest();
        Attributes attributes = manifest.getMainAttributes();
        attributes.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        attributes.putValue("Plugin-Id", id);
        attributes.putValue("Plugin-Version", version);
        if (!requires.isEmpty()) {
            attributes.putValue("Plugin-Requires", requires);
        }
        if (!pluginClass.isEmpty()) {
            attributes.putValue("Plugin-Class", pluginClass);
        }
        attributes.putValue("Plugin-Description", "test plugin " + id);
        writeJar(jar, classes, manifest, resources);
    }

    private static void compile(Map<String, String> sources, List<Path> libraries, Path output) {
        try {
            Files.createDirectories(output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (sources.isEmpty()) {
            return;
        }
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            List<File> classpath = new ArrayList<>(apiClasspath().stream().map(Path::toFile).toList());
            libraries.forEach(library -> classpath.add(library.toFile()));
            files.setLocation(StandardLocation.CLASS_PATH, classpath);
            files.setLocation(StandardLocation.CLASS_OUTPUT, List.of(output.toFile()));
            List<JavaFileObject> units = sources.entrySet().stream()
                    .map(entry -> (JavaFileObject) new Source(entry.getKey(), entry.getValue())).toList();
            boolean ok = compiler.getTask(null, files, diagnostics, List.of("--release", "17"), null, units).call();
            if (!ok) {
                throw new IllegalStateException("test plugin does not compile:\n" + diagnostics.getDiagnostics().stream()
                        .filter(diagnostic -> diagnostic.getKind() == Diagnostic.Kind.ERROR)
                        .map(Object::toString).collect(Collectors.joining("\n")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a plugin compiles against: the plugin API and the libraries it shares with the kernel, nothing else. */
    static List<Path> apiClasspath() {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<Path> entries = new ArrayList<>();
        for (String entry : classpath.split(File.pathSeparator)) {
            String normalized = entry.replace('\\', '/');
            if (normalized.contains("shepherd-plugin-api") || normalized.contains("plugin-api/target/classes")
                    || normalized.contains("/pf4j-") || normalized.contains("/slf4j-api-")
                    || normalized.contains("/jakarta.inject-api-") || normalized.contains("/java-semver-")) {
                entries.add(Path.of(entry));
            }
        }
        if (entries.stream().noneMatch(path -> path.toString().contains("plugin-api"))) {
            throw new IllegalStateException("the plugin API is not on the test class path: " + classpath);
        }
        return entries;
    }

    private static void copyApiClasses(Path classes) {
        Path api = apiClasspath().stream().filter(path -> path.toString().contains("plugin-api")).findFirst().orElseThrow();
        try {
            if (Files.isDirectory(api)) {
                Path root = api.resolve("dev/shepherd/api");
                try (Stream<Path> paths = Files.walk(root)) {
                    for (Path path : paths.filter(Files::isRegularFile).toList()) {
                        Path target = classes.resolve(api.relativize(path).toString());
                        Files.createDirectories(target.getParent());
                        Files.copy(path, target);
                    }
                }
            } else {
                try (var zip = new ZipFile(api.toFile())) {
                    for (ZipEntry entry : zip.stream().filter(entry -> entry.getName().startsWith("dev/shepherd/api/")
                            && !entry.isDirectory()).toList()) {
                        Path target = classes.resolve(entry.getName());
                        Files.createDirectories(target.getParent());
                        try (var in = zip.getInputStream(entry)) {
                            Files.copy(in, target);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeJar(Path jar, Path classes, Manifest manifest, Map<String, byte[]> resources) {
        if (manifest.getMainAttributes().get(Attributes.Name.MANIFEST_VERSION) == null) {
            manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        }
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest);
             Stream<Path> paths = Files.walk(classes)) {
            for (Path path : paths.filter(Files::isRegularFile).sorted().toList()) {
                addFile(out, classes.relativize(path).toString().replace(File.separatorChar, '/'), path);
            }
            for (Map.Entry<String, byte[]> resource : resources.entrySet()) {
                out.putNextEntry(new JarEntry(resource.getKey()));
                out.write(resource.getValue());
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void addFile(ZipOutputStream out, String name, Path file) throws IOException {
        out.putNextEntry(new ZipEntry(name));
        Files.copy(file, out);
        out.closeEntry();
    }

    private static Path tempDirectory() {
        try {
            return Files.createTempDirectory("shepherd-test-plugin");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String className(String code) {
        String packageName = code.lines().map(String::trim).filter(line -> line.startsWith("package "))
                .map(line -> line.substring(8, line.indexOf(';'))).findFirst().orElse("");
        Matcher matcher = Pattern
                .compile("public\\s+(?:final\\s+|abstract\\s+)*(?:class|interface|record|enum)\\s+(\\w+)").matcher(code);
        if (!matcher.find()) {
            throw new IllegalArgumentException("no public type in source:\n" + code);
        }
        return packageName.isEmpty() ? matcher.group(1) : packageName + "." + matcher.group(1);
    }

    private static final class Source extends SimpleJavaFileObject {
        private final String code;

        Source(String className, String code) {
            super(URI.create("string:///" + className.replace('.', '/') + Kind.SOURCE.extension), Kind.SOURCE);
            this.code = code;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return code;
        }
    }

    /** Writes garbage with a plugin file's name, as a broken download would. */
    public static Path corruptFile(Path directory, String fileName) {
        Path file = directory.resolve(fileName);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write("PK\u0003\u0004 this is not really a zip file".getBytes(StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
