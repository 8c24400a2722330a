package dev.shepherd.plugins.android;

import dev.shepherd.api.console.ConsolePage;
import org.pf4j.Extension;

/**
 * The console page for Android zero-touch enrollment ({@code console/zero-touch.js} in this plugin's jar), at
 * {@code #/plugins/android/zero-touch}: the customer account linked, configurations created from enrollment tokens,
 * and the customer's devices with their configuration. It calls only {@link ZeroTouchEndpoint}.
 */
@Extension
public final class ZeroTouchPage implements ConsolePage {

    @Override
    public String id() {
        return "zero-touch";
    }

    @Override
    public String title() {
        return "Android zero-touch";
    }

    @Override
    public String permission() {
        // The permission of the endpoint the page calls.
        return "plugin_manage";
    }

    @Override
    public String module() {
        return "zero-touch.js";
    }

    @Override
    public String description() {
        return "Link the zero-touch customer account, create configurations from enrollment tokens, apply them to devices.";
    }
}
