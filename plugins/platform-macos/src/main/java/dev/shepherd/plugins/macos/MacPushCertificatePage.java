package dev.shepherd.plugins.macos;

import dev.shepherd.apple.PushCertificatePage;
import org.pf4j.Extension;

/** The console page for the Mac APNs push certificate, at {@code #/plugins/apple-macos/push-certificate}. */
@Extension
public final class MacPushCertificatePage extends PushCertificatePage {
}
