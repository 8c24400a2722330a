package dev.shepherd.plugins.windows;

import dev.shepherd.api.command.Command;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.platform.CommandTranslation;
import dev.shepherd.api.platform.EnrollmentArtifact;
import dev.shepherd.api.platform.EnrollmentInvitation;
import dev.shepherd.api.platform.NativeCommand;
import dev.shepherd.api.platform.PlatformSupport;
import dev.shepherd.plugins.windows.csp.SettingCsps;
import dev.shepherd.plugins.windows.management.ManagementEndpoint;
import dev.shepherd.plugins.windows.enrollment.EnrollmentUrls;
import dev.shepherd.plugins.windows.management.WindowsCommandTranslator;
import dev.shepherd.plugins.windows.push.WnsPusher;
import dev.shepherd.plugins.windows.xml.SafeXml;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Windows as the kernel sees it: which settings compile to configuration service providers, how a PC is woken (WNS), and what an enrollment
 * link hands out — a page with the {@code ms-device-enrollment:} link that opens Windows' own enrollment with the
 * server and the token filled in, and the steps to type them by hand.
 */
@Extension
public final class WindowsPlatform implements PlatformSupport {

    private final PluginConfig config;
    private final PluginIdentity identity;
    private final WnsPusher pusher;
    private final WindowsCommandTranslator translator;

    @Inject
    public WindowsPlatform(PluginConfig config, PluginIdentity identity, WnsPusher pusher, WindowsCommandTranslator translator) {
        this.translator = requireNonNull(translator, "translator is null");
        this.config = requireNonNull(config, "config is null");
        this.identity = requireNonNull(identity, "identity is null");
        this.pusher = requireNonNull(pusher, "pusher is null");
    }

    /** Queues a WNS push, which makes the PC start a management session; false when WNS is not set up or the PC has no channel. */
    @Override
    public boolean wake(Device device) {
        // The push channel is kept under the PC's storage key: its DeviceID when its record holds it.
        return pusher.wake(ManagementEndpoint.storageKey(device));
    }

    @Override
    public Platform platform() {
        return Platform.WINDOWS;
    }

    @Override
    public Optional<NativeCommand> translate(Device device, Command command) {
        return translateCommand(device, command) instanceof CommandTranslation.Translated translated
                ? Optional.of(translated.command()) : Optional.empty();
    }

    /** The SyncML the management endpoint sends for the command, or why Windows cannot carry it out. */
    @Override
    public CommandTranslation translateCommand(Device device, Command command) {
        return translator.translateCommand(device.id(), command);
    }

    @Override
    public Set<String> supportedSettingTypes() {
        return SettingCsps.SUPPORTED_TYPES;
    }

    @Override
    public Optional<EnrollmentArtifact> enrollmentArtifact(EnrollmentInvitation invitation) {
        EnrollmentUrls urls = new EnrollmentUrls(invitation.serverUrl(), identity.devicePath());
        String host = URI.create(invitation.serverUrl()).getHost();
        // The user name only has to look like an address; discovery goes straight to servername.
        String username = invitation.userEmail().orElse("enroll@" + host);
        String deepLink = "ms-device-enrollment:?mode=mdm&username=" + encode(username) + "&servername=" + encode(urls.discovery())
                + "&accesstoken=" + encode(invitation.token());
        String organization = config.get("organization", "Shepherd");
        String page = """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
                <title>Enroll this PC with %1$s</title></head>
                <body>
                <h1>Enroll this PC with %1$s</h1>
                <p><a href="%2$s">Open Windows enrollment</a> and follow the steps.</p>
                <p>Or by hand: <b>Settings &rsaquo; Accounts &rsaquo; Access work or school &rsaquo; Enroll only in device management</b>,
                then enter:</p>
                <ul><li>E-mail address: <code>%3$s</code></li>
                <li>Server: <code>%4$s</code></li>
                <li>Password: <code>%5$s</code> (this one-time enrollment token; or your work account's password if your IT
                department set that up)</li></ul>
                <p>The token is valid until %6$s.</p>
                </body></html>
                """.formatted(SafeXml.escape(organization), SafeXml.escape(deepLink), SafeXml.escape(username),
                SafeXml.escape(urls.discovery()), SafeXml.escape(invitation.token()), invitation.expiresAt());
        return Optional.of(new EnrollmentArtifact("enroll-windows.html", "text/html; charset=utf-8",
                page.getBytes(StandardCharsets.UTF_8), Optional.of(deepLink)));
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
