package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.EnrollmentGrant;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.platform.EnrollmentInvitation;
import dev.shepherd.google.GoogleException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Android zero-touch enrollment for the bound enterprise: the organisation's zero-touch customer account, its
 * configurations, and its devices, through {@link ZeroTouchApi}.
 *
 * <p>A configuration is bound to a Shepherd enrollment token (corporate, for Android or any platform), which says
 * the group and user the devices join. Saving it mints an AMAPI enrollment token that lives as long as the Shepherd
 * token ({@link Enrollment#programToken}), and writes it into the configuration's DPC extras as the Android
 * Management API documents for zero-touch (https://developers.google.com/android/management/provision-device#zero-touch_enrollment):
 * {@code {"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE": {"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN": …}}}.
 * A device with the configuration installs Android Device Policy at first boot, enrolls with that token, and
 * Google's ENROLLMENT notification enrolls it into Shepherd by the token's nonce as any Android device
 * ({@link DeviceSync}): corporate, in the token's group. {@code workProfile} asks AMAPI for a work profile on a
 * company-owned device (COPE: {@code allowPersonalUsage} PERSONAL_USAGE_ALLOWED) instead of a fully managed one.
 */
@Singleton
public final class ZeroTouch {

    /** The package of Android Device Policy, the DPC of the Android Management API. */
    public static final String ANDROID_DEVICE_POLICY = "com.google.android.apps.work.clouddpc";
    static final String EXTRAS_BUNDLE = "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE";
    static final String EXTRA_ENROLLMENT_TOKEN = "com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN";
    private static final String CUSTOMER_KEY = "zero-touch/customer";
    private static final String BINDING_PREFIX = "zero-touch/configuration/";
    /** An update replaces the whole definition; a custom message left out is cleared. */
    private static final String UPDATE_MASK = "configurationName,companyName,contactEmail,contactPhone,customMessage,isDefault,"
            + "dpcResourcePath,dpcExtras";

    /** The linked customer account and the DPC its configurations install. */
    public record Link(String customerId, String dpcResourcePath) {
        public Link {
            requireNonNull(customerId, "customerId is null");
            requireNonNull(dpcResourcePath, "dpcResourcePath is null");
        }
    }

    /**
     * A configuration as the admin defines it.
     *
     * @param enrollmentToken the secret of the Shepherd enrollment token the devices enroll with
     * @param workProfile a work profile on the company-owned device (COPE) rather than a fully managed device
     */
    public record ConfigurationInput(String configurationName, String companyName, String contactEmail, String contactPhone,
                                     Optional<String> customMessage, boolean isDefault, String enrollmentToken, boolean workProfile) {
        public ConfigurationInput {
            requireNonNull(configurationName, "configurationName is null");
            requireNonNull(companyName, "companyName is null");
            requireNonNull(contactEmail, "contactEmail is null");
            requireNonNull(contactPhone, "contactPhone is null");
            requireNonNull(customMessage, "customMessage is null");
            requireNonNull(enrollmentToken, "enrollmentToken is null");
        }
    }

    private final PluginStorage storage;
    private final ZeroTouchApi api;
    private final Enrollment enrollment;
    private final DeviceRegistry registry;
    private final ServerAddress address;
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    public ZeroTouch(PluginStorage storage, ZeroTouchApi api, Enrollment enrollment, DeviceRegistry registry, ServerAddress address) {
        this.storage = requireNonNull(storage, "storage is null");
        this.api = requireNonNull(api, "api is null");
        this.enrollment = requireNonNull(enrollment, "enrollment is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.address = requireNonNull(address, "address is null");
    }

    /** @return the linked customer account, if any */
    public Optional<Link> link() {
        return storage.get(CUSTOMER_KEY).map(this::readLink);
    }

    /**
     * Links a customer account once Google confirms the service account may manage it and offers Android Device
     * Policy to its configurations ({@code customers.dpcs.list}).
     *
     * @throws IllegalStateException when the customer's DPCs lack Android Device Policy
     * @throws GoogleException when Google refuses (for example 403: the service account is not linked to the customer)
     */
    public Link link(String customerId) throws GoogleException {
        JsonNode dpcs = api.listDpcs(customerId);
        String dpc = "";
        for (JsonNode candidate : dpcs.path("dpcs")) {
            if (ANDROID_DEVICE_POLICY.equals(candidate.path("packageName").asText())) {
                dpc = candidate.path("name").asText("");
            }
        }
        if (!dpc.startsWith("customers/" + customerId + "/dpcs/")) {
            throw new IllegalStateException("Google offers customer " + customerId + " no configuration with Android Device Policy ("
                    + ANDROID_DEVICE_POLICY + ")");
        }
        Link link = new Link(customerId, dpc);
        storage.put(CUSTOMER_KEY, json.createObjectNode().put("customerId", customerId).put("dpcResourcePath", dpc).toString()
                .getBytes(StandardCharsets.UTF_8));
        return link;
    }

    /** Forgets the customer account and the configurations' bindings (the configurations stay at Google). */
    public boolean unlink() {
        storage.keys(BINDING_PREFIX).forEach(storage::delete);
        return storage.delete(CUSTOMER_KEY);
    }

    /** @return the customer's configurations, each with the Shepherd binding of those made here */
    public ArrayNode configurations() throws GoogleException {
        Link link = requireLink();
        ArrayNode configurations = json.createArrayNode();
        for (JsonNode configuration : api.listConfigurations(link.customerId()).path("configurations")) {
            configurations.add(describe(configuration));
        }
        return configurations;
    }

    /**
     * Creates a configuration, or replaces one's definition, with a new AMAPI enrollment token for its Shepherd token.
     *
     * @param configurationId the configuration to update, or empty to create one
     * @return the configuration as Google stored it, with its binding
     * @throws IllegalArgumentException when the Shepherd token is unknown, expired, used up, personal or for another platform
     */
    public ObjectNode save(Optional<String> configurationId, ConfigurationInput input) throws GoogleException {
        Link link = requireLink();
        EnrollmentGrant grant = registry.checkEnrollmentToken(input.enrollmentToken())
                .orElseThrow(() -> new IllegalArgumentException("enrollmentToken: unknown, expired, used up or revoked"));
        if (grant.ownership() != Ownership.CORPORATE) {
            throw new IllegalArgumentException("enrollmentToken: zero-touch devices are company-owned; use a corporate enrollment token");
        }
        if (grant.platform().filter(platform -> !platform.equals(Platform.ANDROID)).isPresent()) {
            throw new IllegalArgumentException("enrollmentToken: the token is for " + grant.platform().get() + " devices");
        }
        Enrollment.AndroidToken token = enrollment.programToken(new EnrollmentInvitation(input.enrollmentToken(), Ownership.CORPORATE,
                grant.groupId(), grant.userId(), grant.expiresAt(), address.publicUrl()), input.workProfile());
        ObjectNode extras = json.createObjectNode();
        extras.putObject(EXTRAS_BUNDLE).put(EXTRA_ENROLLMENT_TOKEN, token.value());
        ObjectNode configuration = json.createObjectNode();
        configuration.put("configurationName", input.configurationName());
        configuration.put("companyName", input.companyName());
        configuration.put("contactEmail", input.contactEmail());
        configuration.put("contactPhone", input.contactPhone());
        input.customMessage().ifPresent(message -> configuration.put("customMessage", message));
        configuration.put("isDefault", input.isDefault());
        configuration.put("dpcResourcePath", link.dpcResourcePath());
        configuration.put("dpcExtras", extras.toString());
        JsonNode saved;
        if (configurationId.isPresent()) {
            saved = api.patchConfiguration(link.customerId(), configurationId.get(), UPDATE_MASK, configuration);
        } else {
            saved = api.createConfiguration(link.customerId(), configuration);
        }
        String savedId = saved.path("configurationId").asText("");
        if (!ZeroTouchApi.isNumericId(savedId)) {
            throw new GoogleException(200, "Google's configuration lacks its configurationId", false);
        }
        ObjectNode binding = json.createObjectNode();
        binding.put("enrollmentTokenId", grant.tokenId());
        grant.groupId().ifPresent(group -> binding.put("groupId", group));
        binding.put("ownership", input.workProfile() ? "COMPANY_OWNED_WORK_PROFILE" : "FULLY_MANAGED");
        binding.put("androidEnrollmentToken", token.name());
        binding.put("expiresAt", token.expiresAt().toString());
        storage.put(BINDING_PREFIX + savedId, binding.toString().getBytes(StandardCharsets.UTF_8));
        return describe(saved);
    }

    /** Deletes a configuration; Google refuses while devices still have it. */
    public void delete(String configurationId) throws GoogleException {
        api.deleteConfiguration(requireLink().customerId(), configurationId);
        storage.delete(BINDING_PREFIX + configurationId);
    }

    /**
     * One page of the customer's devices.
     *
     * @return {@code {"devices": [{deviceId, imei, serialNumber, manufacturer, model, configurationId}], "nextPageToken"}}
     */
    public ObjectNode devices(int pageSize, Optional<String> pageToken) throws GoogleException {
        JsonNode page = api.listDevices(requireLink().customerId(), pageSize, pageToken);
        ObjectNode answer = json.createObjectNode();
        ArrayNode devices = answer.putArray("devices");
        for (JsonNode device : page.path("devices")) {
            ObjectNode row = devices.addObject();
            row.put("deviceId", device.path("deviceId").asText());
            JsonNode identifier = device.path("deviceIdentifier");
            for (String field : List.of("imei", "meid", "serialNumber", "manufacturer", "model")) {
                if (identifier.hasNonNull(field)) {
                    row.put(field, identifier.get(field).asText());
                }
            }
            String configuration = device.path("configuration").asText("");
            row.put("configurationId", configuration.isEmpty() ? null : configuration.substring(configuration.lastIndexOf('/') + 1));
        }
        if (page.hasNonNull("nextPageToken")) {
            answer.put("nextPageToken", page.get("nextPageToken").asText());
        }
        return answer;
    }

    /** Applies a configuration to a device, which provisions itself with it at first boot or next factory reset. */
    public void apply(String deviceId, String configurationId) throws GoogleException {
        api.applyConfiguration(requireLink().customerId(), deviceId, configurationId);
    }

    /** Removes a device's configuration (the default configuration, if any, then applies to it). */
    public void removeConfiguration(String deviceId) throws GoogleException {
        api.removeConfiguration(requireLink().customerId(), deviceId);
    }

    /** Takes a device out of zero-touch; only its reseller can register it again. */
    public void unclaim(String deviceId) throws GoogleException {
        api.unclaim(requireLink().customerId(), deviceId);
    }

    private ObjectNode describe(JsonNode configuration) {
        ObjectNode described = json.createObjectNode();
        for (String field : List.of("configurationId", "configurationName", "companyName", "contactEmail", "contactPhone", "customMessage")) {
            if (configuration.hasNonNull(field)) {
                described.put(field, configuration.get(field).asText());
            }
        }
        described.put("isDefault", configuration.path("isDefault").asBoolean(false));
        // The extras carry the AMAPI enrollment token: admins see which configuration does what, not the token.
        storage.get(BINDING_PREFIX + configuration.path("configurationId").asText()).map(this::read)
                .ifPresent(binding -> described.set("shepherd", binding));
        return described;
    }

    private Link requireLink() throws GoogleException {
        return link().orElseThrow(() -> new GoogleException(0, "No zero-touch customer account is linked yet; PUT its customer id to "
                + "/api/v1/plugins/android/zero-touch.", false));
    }

    private Link readLink(byte[] bytes) {
        JsonNode node = read(bytes);
        return new Link(node.path("customerId").asText(), node.path("dpcResourcePath").asText());
    }

    private JsonNode read(byte[] bytes) {
        try {
            return json.readTree(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
