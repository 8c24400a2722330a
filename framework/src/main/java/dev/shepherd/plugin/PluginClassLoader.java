package dev.shepherd.plugin;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The class loader of one plugin generation.
 *
 * <p>Only the packages of the contract are shared with the kernel (parent-first from the kernel's loader):
 * the plugin API, PF4J's annotations and base class, SLF4J and jakarta.inject. Everything else resolves from
 * the plugin's own files first and then from the JDK, never from the kernel's libraries, so a plugin may
 * bundle any version of any library and cannot reach the kernel's internals.
 */
final class PluginClassLoader extends URLClassLoader {

    static final List<String> SHARED_PACKAGES = List.of("dev.shepherd.api.", "org.pf4j.", "org.slf4j.", "jakarta.inject.");
    private static final List<String> SHARED_RESOURCE_PREFIXES =
            SHARED_PACKAGES.stream().map(name -> name.replace('.', '/')).toList();

    static {
        registerAsParallelCapable();
    }

    private final ClassLoader kernelLoader;

    PluginClassLoader(String name, List<URL> classpath, ClassLoader kernelLoader) {
        super(name, classpath.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
        this.kernelLoader = requireNonNull(kernelLoader, "kernelLoader is null");
    }

    static boolean isShared(String className) {
        for (String prefix : SHARED_PACKAGES) {
            if (className.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (isShared(name)) {
            return kernelLoader.loadClass(name);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> loaded = findLoadedClass(name);
            if (loaded == null && !name.startsWith("java.")) {
                try {
                    loaded = findClass(name);
                } catch (ClassNotFoundException notBundled) {
                    // fall through to the JDK
                }
            }
            if (loaded == null) {
                loaded = getParent().loadClass(name);
            }
            if (resolve) {
                resolveClass(loaded);
            }
            return loaded;
        }
    }

    @Override
    public URL getResource(String name) {
        if (isSharedResource(name)) {
            return kernelLoader.getResource(name);
        }
        URL own = findResource(name);
        return own != null ? own : getParent().getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        if (isSharedResource(name)) {
            return kernelLoader.getResources(name);
        }
        List<URL> urls = new ArrayList<>(Collections.list(findResources(name)));
        urls.addAll(Collections.list(getParent().getResources(name)));
        return Collections.enumeration(urls);
    }

    private static boolean isSharedResource(String name) {
        String path = name.startsWith("/") ? name.substring(1) : name;
        for (String prefix : SHARED_RESOURCE_PREFIXES) {
            if (path.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }
}
