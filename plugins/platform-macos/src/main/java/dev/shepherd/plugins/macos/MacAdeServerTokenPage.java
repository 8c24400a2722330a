package dev.shepherd.plugins.macos;

import dev.shepherd.apple.AdeServerTokenPage;
import org.pf4j.Extension;

/** The console page for the Mac Automated Device Enrollment server tokens, at {@code #/plugins/apple-macos/ade-tokens}. */
@Extension
public final class MacAdeServerTokenPage extends AdeServerTokenPage {
}
