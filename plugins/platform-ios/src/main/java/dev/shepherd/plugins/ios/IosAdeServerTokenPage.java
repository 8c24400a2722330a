package dev.shepherd.plugins.ios;

import dev.shepherd.apple.AdeServerTokenPage;
import org.pf4j.Extension;

/** The console page for the iPhone and iPad Automated Device Enrollment server tokens, at {@code #/plugins/apple-ios/ade-tokens}. */
@Extension
public final class IosAdeServerTokenPage extends AdeServerTokenPage {
}
