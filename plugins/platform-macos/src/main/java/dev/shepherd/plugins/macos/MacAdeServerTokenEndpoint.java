package dev.shepherd.plugins.macos;

import dev.shepherd.apple.AdeServerTokenEndpoint;
import dev.shepherd.apple.AdeServerTokens;
import jakarta.inject.Inject;
import org.pf4j.Extension;

/** The Automated Device Enrollment server tokens for Macs, at {@code /api/v1/plugins/apple-macos/ade}. */
@Extension
public final class MacAdeServerTokenEndpoint extends AdeServerTokenEndpoint {

    @Inject
    public MacAdeServerTokenEndpoint(AdeServerTokens tokens) {
        super(tokens);
    }
}
