package dev.shepherd.api.console;

import org.pf4j.ExtensionPoint;

import java.util.Set;

/**
 * A page a plugin adds to the web admin console, such as the upload of a platform's push certificate. The page is a
 * JavaScript module among the plugin's own files, under the folder {@value #FOLDER} of the plugin jar (or of a library
 * it bundles); the kernel serves that folder, and only that folder, while the plugin runs, at
 * {@code /ui/plugins/{pluginId}/{pluginVersion}/...}, with the console's Content-Security-Policy (no inline script).
 *
 * <p>The console lists the page on the plugins page, and opens it at {@code #/plugins/{pluginId}/{id}}, only for admins
 * whose role holds {@link #permission()}. It imports the module and calls its exported {@code render(context)}
 * function (it may be {@code async}) with:
 * <ul>
 *   <li>{@code main}: the element to draw into;</li>
 *   <li>{@code api}: the console's API client ({@code get}, {@code post}, {@code put}, {@code patch}, {@code delete}
 *       with paths such as {@code /api/v1/plugins/acme/things}); it sends the session's CSRF token, turns problem
 *       responses into errors whose {@code message} is the server's plain-words detail, and refuses locally any request
 *       the admin's role may not make; {@code api.can(permission)} tells what the role holds;</li>
 *   <li>{@code ui}: the console's DOM helpers ({@code h}, {@code replace}, {@code heading}, {@code field},
 *       {@code message}, {@code empty}, {@code table}, {@code when}, {@code words}, {@code blank},
 *       {@code confirmAction}, {@code removeButton} (since 0.9.0: a danger button that confirms, then runs an
 *       action and shows its failure), {@code announce}), so the page looks like the rest of the console;</li>
 *   <li>{@code plugin}: {@code {id, version}}; {@code page}: {@code {id, title}};</li>
 *   <li>{@code stale()}: true once the admin has moved to another page, so late answers are not drawn.</li>
 * </ul>
 * The page must build its content with DOM calls: inline scripts, inline event handlers, inline {@code style}
 * attributes and {@code eval} are blocked by the Content-Security-Policy. The module may import its siblings by
 * relative path. A module that fails to load or throws shows the admin its error in place of the page; the rest of the
 * console is unaffected.
 *
 * <p>Since 0.10.0 a page that must load from elsewhere (a vendor's embedding script, a vendor's page in a frame)
 * declares those origins in {@link #externalOrigins()}. The console's policy otherwise admits only the server itself.
 * The kernel checks each origin ({@link ExternalOrigin}: https, no path, no wildcard) and adds the declared origins of
 * the pages of started plugins, each for its own kind, to the policy of the console document; the policy is computed
 * anew for every load of the console, so a plugin started or stopped since takes effect when the admin next loads it
 * (a page opened in a console loaded before its plugin started finds its origins still blocked, and should say
 * "reload the console"). The plugins page shows the operator which origins each plugin added. The policy is one for
 * the whole console document, so a declared origin is admitted on every console page, not only on the declaring one:
 * declare as few as the page needs, and make them settings of the plugin when an operator may need to point them
 * elsewhere (a relay, a test stand-in).
 *
 * <p>Calls to these methods go through the plugin host like any other plugin call; they are read once, when the
 * plugin starts.
 */
public interface ConsolePage extends ExtensionPoint {

    /** The folder of the plugin's files that the kernel serves to the console. */
    String FOLDER = "console";

    /**
     * The page's id within the plugin: lower-case letters, digits and hyphens, at most 40 characters.
     *
     * @return the id, such as {@code push-certificate}
     */
    String id();

    /**
     * The page's title, shown as its heading in the menu of the plugin and in the browser's title bar.
     *
     * @return the title, such as {@code Push certificate}
     */
    String title();

    /**
     * The permission an admin needs to see the page, by the names {@link dev.shepherd.api.http.AdminEndpoint#permission()}
     * accepts. It should be the permission of the admin endpoints the page calls. An unknown name keeps the page
     * from being listed.
     *
     * @return the permission's name
     */
    String permission();

    /**
     * The module's path within {@value #FOLDER}: letters, digits, {@code .}, {@code _}, {@code -} and {@code /}
     * separators, ending in {@code .js}.
     *
     * @return the path, such as {@code push-certificate.js} for {@code console/push-certificate.js} in the jar
     */
    String module();

    /**
     * One sentence on what the page is for, shown beside its link.
     *
     * @return the description, possibly empty
     */
    default String description() {
        return "";
    }

    /**
     * The origins outside the server the page needs the browser to load from, each with its kind; see the class
     * comment for how the kernel checks and admits them. Read once, when the plugin starts.
     *
     * @return the origins, empty (the default) for a page that loads only the plugin's own files and calls only the
     *         admin API
     * @since 0.10.0
     */
    default Set<ExternalOrigin> externalOrigins() {
        return Set.of();
    }
}
