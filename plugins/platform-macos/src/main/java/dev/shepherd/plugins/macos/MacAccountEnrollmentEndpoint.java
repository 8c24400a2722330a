package dev.shepherd.plugins.macos;

import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.apple.AccountEnrollmentEndpoint;
import jakarta.inject.Inject;
import org.pf4j.Extension;

/** The settings of account-driven enrollment of Macs, at {@code /api/v1/plugins/apple-macos/account-enrollment}. */
@Extension
public final class MacAccountEnrollmentEndpoint extends AccountEnrollmentEndpoint {

    @Inject
    public MacAccountEnrollmentEndpoint(PluginStorage storage, SecretSealer sealer, ServerAddress address, PluginIdentity identity) {
        super(storage, sealer, address, identity);
    }
}
