package dev.shepherd.plugins.windows.enrollment;

import static java.util.Objects.requireNonNull;

/**
 * Where the Windows services live, as devices are told: all under the plugin's mount point on the server's public
 * URL, the policy and enrollment services on the same host as MS-MDE2 requires.
 *
 * @param publicUrl the server's base URL, such as {@code https://mdm.example.com}
 * @param devicePath the plugin's mount path, such as {@code /mdm/windows}
 */
public record EnrollmentUrls(String publicUrl, String devicePath) {

    /** The discovery path Windows derives from an e-mail domain, at the server's root. */
    public static final String WELL_KNOWN_DISCOVERY = "/EnrollmentServer/Discovery.svc";
    public static final String DISCOVERY = "/EnrollmentServer/Discovery.svc";
    public static final String POLICY = "/EnrollmentServer/Policy.svc";
    public static final String ENROLLMENT = "/EnrollmentServer/Enrollment.svc";
    public static final String MANAGEMENT = "/ManagementServer/MDM.svc";

    public EnrollmentUrls {
        requireNonNull(publicUrl, "publicUrl is null");
        requireNonNull(devicePath, "devicePath is null");
        publicUrl = publicUrl.replaceAll("/+$", "");
    }

    public String discovery() {
        return publicUrl + WELL_KNOWN_DISCOVERY;
    }

    public String policyService() {
        return publicUrl + devicePath + POLICY;
    }

    public String enrollmentService() {
        return publicUrl + devicePath + ENROLLMENT;
    }

    public String management() {
        return publicUrl + devicePath + MANAGEMENT;
    }
}
