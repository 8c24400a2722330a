package dev.shepherd.device;

import dev.shepherd.api.device.ComplianceState;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;

import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Which devices: every present part must hold. Compiled to SQL over indexed columns by {@link DeviceStore}.
 *
 * @param platform on this platform
 * @param status in this lifecycle state
 * @param ownership corporate or personal
 * @param compliance in this compliance state
 * @param model exactly this model
 * @param namePrefix name starting with this, ignoring case
 * @param serialNumber exactly this serial number
 * @param userId assigned to this user
 * @param tag carrying this tag
 * @param osVersionAtLeast OS version at or above this
 * @param osVersionBelow OS version below this
 * @param checkedInBefore last check-in before this moment (or never)
 * @param checkedInAfter last check-in at or after this moment
 * @param groupId a member of this group
 * @param text containing this text, ignoring case, anywhere in the name, serial number, model, or the assigned user's
 *        username, display name or e-mail (a substring search: a scan of the narrowed rows, not an index seek)
 * @param scope within this scope (an admin's grant): the whole fleet unless narrowed
 */
public record DeviceFilter(Optional<Platform> platform, Optional<DeviceStatus> status, Optional<Ownership> ownership,
                           Optional<ComplianceState> compliance, Optional<String> model, Optional<String> namePrefix,
                           Optional<String> serialNumber, Optional<String> userId, Optional<String> tag,
                           Optional<String> osVersionAtLeast, Optional<String> osVersionBelow,
                           Optional<Instant> checkedInBefore, Optional<Instant> checkedInAfter, Optional<String> groupId,
                           Optional<String> text, DeviceScope scope) {

    public static final DeviceFilter ALL = builder().build();

    public DeviceFilter {
        requireNonNull(platform, "platform is null");
        requireNonNull(status, "status is null");
        requireNonNull(ownership, "ownership is null");
        requireNonNull(compliance, "compliance is null");
        requireNonNull(model, "model is null");
        requireNonNull(namePrefix, "namePrefix is null");
        requireNonNull(serialNumber, "serialNumber is null");
        requireNonNull(userId, "userId is null");
        requireNonNull(tag, "tag is null");
        requireNonNull(osVersionAtLeast, "osVersionAtLeast is null");
        requireNonNull(osVersionBelow, "osVersionBelow is null");
        requireNonNull(checkedInBefore, "checkedInBefore is null");
        requireNonNull(checkedInAfter, "checkedInAfter is null");
        requireNonNull(groupId, "groupId is null");
        requireNonNull(text, "text is null");
        requireNonNull(scope, "scope is null");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a filter part by part. */
    public static final class Builder {
        private Platform platform;
        private DeviceStatus status;
        private Ownership ownership;
        private ComplianceState compliance;
        private String model;
        private String namePrefix;
        private String serialNumber;
        private String userId;
        private String tag;
        private String osVersionAtLeast;
        private String osVersionBelow;
        private Instant checkedInBefore;
        private Instant checkedInAfter;
        private String groupId;
        private String text;
        private DeviceScope scope = DeviceScope.FLEET;

        public Builder platform(Platform value) { platform = value; return this; }
        public Builder status(DeviceStatus value) { status = value; return this; }
        public Builder ownership(Ownership value) { ownership = value; return this; }
        public Builder compliance(ComplianceState value) { compliance = value; return this; }
        public Builder model(String value) { model = value; return this; }
        public Builder namePrefix(String value) { namePrefix = value; return this; }
        public Builder serialNumber(String value) { serialNumber = value; return this; }
        public Builder userId(String value) { userId = value; return this; }
        public Builder tag(String value) { tag = value; return this; }
        public Builder osVersionAtLeast(String value) { osVersionAtLeast = value; return this; }
        public Builder osVersionBelow(String value) { osVersionBelow = value; return this; }
        public Builder checkedInBefore(Instant value) { checkedInBefore = value; return this; }
        public Builder checkedInAfter(Instant value) { checkedInAfter = value; return this; }
        public Builder groupId(String value) { groupId = value; return this; }
        public Builder text(String value) { text = value == null || value.isBlank() ? null : value.strip(); return this; }
        public Builder scope(DeviceScope value) { scope = requireNonNull(value, "scope is null"); return this; }

        public DeviceFilter build() {
            return new DeviceFilter(Optional.ofNullable(platform), Optional.ofNullable(status), Optional.ofNullable(ownership),
                    Optional.ofNullable(compliance), Optional.ofNullable(model), Optional.ofNullable(namePrefix),
                    Optional.ofNullable(serialNumber), Optional.ofNullable(userId), Optional.ofNullable(tag),
                    Optional.ofNullable(osVersionAtLeast), Optional.ofNullable(osVersionBelow),
                    Optional.ofNullable(checkedInBefore), Optional.ofNullable(checkedInAfter), Optional.ofNullable(groupId),
                    Optional.ofNullable(text), scope);
        }
    }
}
