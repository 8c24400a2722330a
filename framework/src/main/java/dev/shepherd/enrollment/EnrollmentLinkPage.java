package dev.shepherd.enrollment;

import dev.shepherd.api.device.EnrollmentGrant;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import static dev.shepherd.enrollment.EnrollmentSignInPage.escape;

/**
 * The page a person sees when they open an enrollment link in a browser (or scan its QR code): what kind of device it
 * enrolls, what will happen to it (corporate or personal, supervised or not, what the organisation can and cannot
 * see), the steps for their platform, and the button that fetches the platform's own artifact
 * ({@code ?download=1}: an Apple profile, the Windows or Android enrollment page). Clients that do not ask for HTML
 * get the artifact directly, as before.
 */
final class EnrollmentLinkPage {

    /** The query parameter that asks for the platform's artifact instead of this page. */
    static final String DOWNLOAD = "download";
    private static final DateTimeFormatter EXPIRY = DateTimeFormatter.ofPattern("d MMMM yyyy, HH:mm 'UTC'", Locale.ENGLISH).withZone(ZoneOffset.UTC);

    private EnrollmentLinkPage() {
    }

    /**
     * A link that enrolls any platform: the person picks theirs.
     *
     * @param platforms the platforms a running plugin enrolls
     */
    static String choosePlatform(String secret, EnrollmentGrant grant, List<Platform> platforms) {
        StringBuilder body = new StringBuilder("<h1>Enroll your device</h1>")
                .append("<p>").append(escape(ownership(grant.ownership(), false))).append("</p>")
                .append("<p>Which device are you enrolling?</p><ul>");
        for (Platform platform : platforms) {
            body.append("<li><a class=\"button\" href=\"").append(escape(EnrollmentHandler.MOUNT + "/" + secret + "?platform=" + platform.id()))
                    .append("\">").append(escape(deviceWords(platform.id()))).append("</a></li>");
        }
        if (platforms.isEmpty()) {
            body.append("<li>None yet: the server enrolls no platform at the moment. Ask your IT department.</li>");
        }
        body.append("</ul>").append(expiry(grant));
        return EnrollmentSignInPage.document("Enroll your device", body.toString(), false);
    }

    /**
     * @param query the link's own query (platform, mode), kept on the download button
     * @param available whether a running plugin enrolls the platform now
     * @param unfinished the setup steps still open on the server that keep such devices from enrolling
     */
    static String instructions(String secret, EnrollmentGrant grant, Platform platform, Optional<String> mode, String query, boolean available,
                               List<String> unfinished) {
        String device = deviceWords(platform.id());
        boolean userEnrollment = mode.isPresent();
        String href = EnrollmentHandler.MOUNT + "/" + secret + "?" + DOWNLOAD + "=1" + (query.isEmpty() ? "" : "&" + query);
        StringBuilder body = new StringBuilder("<h1>Enroll your ").append(escape(device)).append("</h1>");
        if (!available) {
            body.append("<p class=\"error\" role=\"alert\">This server cannot enroll ").append(escape(device))
                    .append(" devices at the moment. Ask your IT department; this link works once they have set it up.</p>")
                    .append(expiry(grant));
            return EnrollmentSignInPage.document("Enroll your " + device, body.toString(), false);
        }
        if (!unfinished.isEmpty()) {
            body.append("<p class=\"error\" role=\"alert\">Your IT department has not finished setting up the server for these devices (")
                    .append(escape(String.join(", ", unfinished)))
                    .append("): enrolling may fail until they have. Ask them before you start.</p>");
        }
        body.append("<h2>What will happen</h2><ul>")
                .append("<li>").append(escape(ownership(grant.ownership(), userEnrollment))).append("</li>")
                .append("<li>").append(escape(supervision(platform.id(), grant.ownership(), userEnrollment))).append("</li>")
                .append("</ul>")
                .append("<h2>What your organisation can see and do</h2><ul>");
        for (String line : visibility(grant.ownership(), userEnrollment)) {
            body.append("<li>").append(escape(line)).append("</li>");
        }
        body.append("</ul><p>It cannot see your messages, e-mail, photos, browsing history or personal files.</p>")
                .append("<h2>Steps</h2><ol>");
        for (String step : steps(platform.id())) {
            body.append("<li>").append(escape(step)).append("</li>");
        }
        body.append("</ol><p><a class=\"button\" id=\"continue\" href=\"").append(escape(href)).append("\">")
                .append(escape(action(platform.id()))).append("</a></p>").append(expiry(grant));
        return EnrollmentSignInPage.document("Enroll your " + device, body.toString(), false);
    }

    private static String expiry(EnrollmentGrant grant) {
        return "<p class=\"meta\">This link is valid until " + escape(EXPIRY.format(grant.expiresAt())) + ".</p>";
    }

    private static String deviceWords(String platform) {
        return switch (platform) {
            case "ios" -> "iPhone or iPad";
            case "macos" -> "Mac";
            case "windows" -> "Windows PC";
            case "android" -> "Android device";
            case "chromeos" -> "Chromebook";
            default -> platform + " device";
        };
    }

    private static String ownership(Ownership ownership, boolean userEnrollment) {
        if (userEnrollment) {
            return "Your own device (personal), enrolled with your work account: work data is kept apart from yours.";
        }
        return ownership == Ownership.CORPORATE
                ? "It will be managed as a device your organisation owns (corporate)."
                : "It will be managed as your own device (personal): your organisation cannot erase it.";
    }

    private static String supervision(String platform, Ownership ownership, boolean userEnrollment) {
        return switch (platform) {
            case "ios", "macos" -> userEnrollment
                    ? "User enrollment: the device is not supervised, and management covers only the work account and the apps and settings it brings."
                    : "The device will not be supervised: supervision comes only with Apple Business or School Manager or Apple"
                    + " Configurator, so restrictions that need it do not apply.";
            case "windows" -> "The PC is enrolled in device management only; it does not join your organisation's Microsoft Entra ID.";
            case "android" -> ownership == Ownership.CORPORATE
                    ? "The device will be fully managed by your organisation: it must be new or reset to factory settings, and it is"
                    + " set up from the welcome screen."
                    : "A work profile keeps work apps and data apart from your personal ones; your organisation manages only the work profile.";
            default -> "Your organisation manages the device through its management server.";
        };
    }

    private static List<String> visibility(Ownership ownership, boolean userEnrollment) {
        if (userEnrollment) {
            return List.of("The device's model and operating system version, and the apps, accounts and settings it manages.",
                    "It can remove its apps, accounts and settings; it cannot erase the device or see the serial number or your apps.");
        }
        return ownership == Ownership.CORPORATE
                ? List.of("The device's model, serial number, operating system version, storage, battery and installed apps.",
                "The settings and apps it manages, and whether the device complies with its rules.",
                "It can lock the device, restart it, and erase it.")
                : List.of("The device's model, serial number, operating system version, storage and battery, and the apps it manages.",
                "Whether the device complies with its rules.",
                "It can lock the device and remove what it installed (apps, accounts, settings); the server refuses to erase a personal device.");
    }

    private static List<String> steps(String platform) {
        return switch (platform) {
            case "ios" -> List.of("Open this page in Safari and tap Download the profile; allow the download.",
                    "Open Settings, tap Profile Downloaded, then Install, and enter your passcode.",
                    "Confirm Remote Management. The device then appears in your organisation's list.");
            case "macos" -> List.of("Click Download the profile.",
                    "Open System Settings, then Privacy & Security, then Profiles, double-click the profile and click Install.",
                    "Approve remote management when asked.");
            case "windows" -> List.of("Click Continue on this PC.",
                    "The next page opens Windows' enrollment (Settings, Accounts, Access work or school) with this server filled in.",
                    "Follow the steps; the PC then appears in your organisation's list.");
            case "android" -> List.of("Tap Continue on the device to enroll (or on another screen, to scan the code it shows).",
                    "Follow Android's setup steps.");
            default -> List.of("Continue and follow the steps.");
        };
    }

    private static String action(String platform) {
        return switch (platform) {
            case "ios", "macos" -> "Download the profile";
            default -> "Continue";
        };
    }
}
