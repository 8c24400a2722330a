package dev.shepherd.plugins.identity.ldap;

import com.unboundid.ldap.sdk.LDAPException;
import dev.shepherd.api.identity.Identity;
import dev.shepherd.api.identity.IdentityProvider;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Signs people in with their directory password: the service account finds the person by their username, then a
 * bind as the person's DN with the password, on a connection of its own, checks it. A disabled person, an empty
 * password (which LDAP would take as an anonymous bind, and accept) and an unknown or ambiguous username are refused
 * before any bind. The identity carries the person's effective groups, nested ones included.
 */
@Extension
public final class LdapIdentityProvider implements IdentityProvider {

    private static final Logger log = LoggerFactory.getLogger(LdapIdentityProvider.class);
    /** Longer than any directory's login names (AD's userPrincipalName is at most 1024): refused without a search. */
    private static final int MAX_USERNAME_LENGTH = 1024;

    private final LdapConnections connections;
    private final LdapDirectory directory;

    @Inject
    public LdapIdentityProvider(LdapConnections connections, LdapDirectory directory) {
        this.connections = requireNonNull(connections, "connections is null");
        this.directory = requireNonNull(directory, "directory is null");
    }

    @Override
    public String id() {
        return connections.settings().providerId();
    }

    @Override
    public Optional<Identity> authenticate(String username, char[] password) {
        requireNonNull(username, "username is null");
        requireNonNull(password, "password is null");
        if (!connections.settings().configured() || !plausible(username) || password.length == 0) {
            return Optional.empty();
        }
        byte[] passwordBytes = utf8(password);
        try {
            Optional<LdapDirectory.Person> person = directory.findPerson(username);
            if (person.isEmpty() || person.get().disabled()) {
                return Optional.empty();
            }
            if (!connections.passwordAccepted(person.get().dn(), passwordBytes)) {
                return Optional.empty();
            }
            return Optional.of(identity(person.get()));
        } catch (LDAPException e) {
            // The directory is down or refused the search: no sign-in, and the other identity providers are asked.
            log.warn("The directory could not check the password of {}: {}", username, e.getExceptionMessage());
            return Optional.empty();
        } finally {
            BindPassword.wipe(passwordBytes);
        }
    }

    @Override
    public Optional<Identity> lookup(String username) {
        requireNonNull(username, "username is null");
        if (!connections.settings().configured() || !plausible(username)) {
            return Optional.empty();
        }
        try {
            Optional<LdapDirectory.Person> person = directory.findPerson(username);
            if (person.isEmpty() || person.get().disabled()) {
                return Optional.empty();
            }
            return Optional.of(identity(person.get()));
        } catch (LDAPException e) {
            log.warn("The directory could not look up {}: {}", username, e.getExceptionMessage());
            return Optional.empty();
        }
    }

    private Identity identity(LdapDirectory.Person person) throws LDAPException {
        return new Identity(id(), person.username(), person.displayName(), person.email(), directory.effectiveGroups(person));
    }

    private static boolean plausible(String username) {
        return !username.isBlank() && username.length() <= MAX_USERNAME_LENGTH;
    }

    private static byte[] utf8(char[] password) {
        ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
        byte[] bytes = Arrays.copyOfRange(encoded.array(), encoded.position(), encoded.limit());
        Arrays.fill(encoded.array(), (byte) 0);
        return bytes;
    }
}
