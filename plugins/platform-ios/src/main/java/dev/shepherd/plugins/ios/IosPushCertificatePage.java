package dev.shepherd.plugins.ios;

import dev.shepherd.apple.PushCertificatePage;
import org.pf4j.Extension;

/** The console page for the iPhone and iPad APNs push certificate, at {@code #/plugins/apple-ios/push-certificate}. */
@Extension
public final class IosPushCertificatePage extends PushCertificatePage {
}
