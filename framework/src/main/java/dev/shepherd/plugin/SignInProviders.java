package dev.shepherd.plugin;

import dev.shepherd.api.identity.Identity;
import dev.shepherd.api.identity.SignInProvider;
import dev.shepherd.api.identity.SignInRequest;
import dev.shepherd.api.identity.SignInStart;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The running {@link SignInProvider} plugins, as the console's and the portal's "Sign in with …" buttons list them and
 * the single sign-on routes call them. Every call goes through the plugin's guard.
 */
public final class SignInProviders {

    /** A provider id as routes, role mappings and admin accounts hold it. */
    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9-]{0,62}");

    /**
     * One running provider.
     *
     * @param id its id
     * @param displayName its button's words
     */
    public record Listed(String id, String displayName) {
        public Listed {
            requireNonNull(id, "id is null");
            requireNonNull(displayName, "displayName is null");
        }
    }

    /** A running provider, to call. */
    public interface Running {
        /** @return its id */
        String id();

        /** @see SignInProvider#begin */
        SignInStart begin(SignInRequest request) throws PluginCallException;

        /** @see SignInProvider#complete */
        Identity complete(SignInRequest request, Map<String, String> callbackParameters, String pending) throws PluginCallException;
    }

    private final ExtensionRegistry registry;

    public SignInProviders(ExtensionRegistry registry) {
        this.registry = requireNonNull(registry, "registry is null");
    }

    /** @return the running, available providers that answer with a well-formed id and a name, in plugin order */
    public List<Listed> list() {
        List<Listed> listed = new ArrayList<>();
        for (ExtensionRegistry.Registration<SignInProvider> registration : registry.extensions(SignInProvider.class)) {
            try {
                Optional<Listed> offered = registration.owner().call("SignInProvider.displayName",
                        () -> registration.extension().available()
                                ? Optional.of(new Listed(registration.extension().id(), registration.extension().displayName()))
                                : Optional.<Listed>empty());
                if (offered.isEmpty()) {
                    continue;
                }
                Listed one = offered.get();
                if (ID.matcher(one.id()).matches() && !one.displayName().isBlank()
                        && listed.stream().noneMatch(earlier -> earlier.id().equals(one.id()))) {
                    listed.add(new Listed(one.id(), one.displayName().strip()));
                }
            } catch (PluginCallException e) {
                // A failing provider offers no button; the others still do.
            }
        }
        return List.copyOf(listed);
    }

    /** @return the running provider with that id (the first, should two plugins claim it) */
    public Optional<Running> find(String id) {
        requireNonNull(id, "id is null");
        for (ExtensionRegistry.Registration<SignInProvider> registration : registry.extensions(SignInProvider.class)) {
            SignInProvider provider = registration.extension();
            String providerId;
            try {
                providerId = registration.owner().call("SignInProvider.id", provider::id);
            } catch (PluginCallException e) {
                continue;
            }
            if (id.equals(providerId)) {
                return Optional.of(new Running() {
                    @Override
                    public String id() {
                        return providerId;
                    }

                    @Override
                    public SignInStart begin(SignInRequest request) throws PluginCallException {
                        return registration.owner().call("SignInProvider.begin", () -> provider.begin(request));
                    }

                    @Override
                    public Identity complete(SignInRequest request, Map<String, String> callbackParameters, String pending)
                            throws PluginCallException {
                        return registration.owner().call("SignInProvider.complete", () -> provider.complete(request, callbackParameters, pending));
                    }
                });
            }
        }
        return Optional.empty();
    }
}
