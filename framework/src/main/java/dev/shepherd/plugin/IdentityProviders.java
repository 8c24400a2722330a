package dev.shepherd.plugin;

import dev.shepherd.api.identity.Identity;
import dev.shepherd.api.identity.IdentityProvider;
import dev.shepherd.security.AdminUserStore;

import java.util.Arrays;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Checks admin passwords with identity-provider plugins, for admin accounts whose provider is not {@code local}:
 * the account (and its role) lives in Shepherd, the password in the directory the plugin connects to.
 */
public final class IdentityProviders implements AdminUserStore.ExternalPasswords {

    private final ExtensionRegistry registry;

    public IdentityProviders(ExtensionRegistry registry) {
        this.registry = requireNonNull(registry, "registry is null");
    }

    /**
     * Checks a user's password with every running identity provider in turn.
     *
     * @return the identity from the first provider that accepts it
     */
    public Optional<Identity> authenticate(String username, char[] password) {
        for (ExtensionRegistry.Registration<IdentityProvider> registration : registry.extensions(IdentityProvider.class)) {
            IdentityProvider identities = registration.extension();
            char[] copy = password.clone();
            try {
                Optional<Identity> identity = registration.owner().call("IdentityProvider.authenticate",
                        () -> identities.authenticate(username, copy));
                if (identity.isPresent()) {
                    return identity;
                }
            } catch (PluginCallException e) {
                // A failing provider cannot vouch for anyone; the others may still know the user.
            } finally {
                Arrays.fill(copy, '\0');
            }
        }
        return Optional.empty();
    }

    @Override
    public Optional<Boolean> check(String provider, String username, char[] password) {
        for (ExtensionRegistry.Registration<IdentityProvider> registration : registry.extensions(IdentityProvider.class)) {
            IdentityProvider identities = registration.extension();
            try {
                if (!provider.equals(registration.owner().call("IdentityProvider.id", identities::id))) {
                    continue;
                }
                char[] copy = password.clone();
                try {
                    return Optional.of(registration.owner().call("IdentityProvider.authenticate",
                            () -> identities.authenticate(username, copy)).isPresent());
                } finally {
                    Arrays.fill(copy, '\0');
                }
            } catch (PluginCallException e) {
                return Optional.of(false);
            }
        }
        return Optional.empty();
    }
}
