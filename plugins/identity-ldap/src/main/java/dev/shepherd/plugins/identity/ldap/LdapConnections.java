package dev.shepherd.plugins.identity.ldap;

import com.unboundid.asn1.ASN1OctetString;
import com.unboundid.ldap.sdk.BindRequest;
import com.unboundid.ldap.sdk.FailoverServerSet;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.GetEntryLDAPConnectionPoolHealthCheck;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPConnectionPool;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.PostConnectProcessor;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.SimpleBindRequest;
import com.unboundid.ldap.sdk.StartTLSPostConnectProcessor;
import com.unboundid.ldap.sdk.controls.SimplePagedResultsControl;
import com.unboundid.util.ssl.HostNameSSLSocketVerifier;
import com.unboundid.util.ssl.SSLUtil;
import com.unboundid.util.ssl.TrustAllSSLSocketVerifier;
import dev.shepherd.api.config.PluginConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import javax.net.SocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Arrays;
import java.util.Collection;
import java.util.Optional;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * The plugin's connections to the directory. Searches go through a pool of connections bound as the service account
 * (health-checked in the background and after errors, with connect and response timeouts); checking a person's
 * password binds as them on a connection of its own, opened for that one bind and closed after it, so a person's
 * bind never changes who the pool's connections are. Every connection is TLS (LDAPS, or StartTLS before anything
 * else is sent) with the certificate checked against the configured CA or the Java runtime's trust store, and its
 * host name checked unless {@code verifyHostname: false}; plain LDAP only as {@link LdapSettings.Transport#PLAIN} allows.
 *
 * <p>The pool is opened on first use and opened anew when the sealed bind password changed (on any node), so a
 * directory that is down when the plugin starts does not stop it.
 */
@Singleton
public final class LdapConnections implements AutoCloseable {

    private static final int MAX_CA_FILE_BYTES = 1024 * 1024;
    private static final long HEALTH_CHECK_INTERVAL_MILLIS = 60_000;

    /**
     * Work done on a connection bound as the service account.
     *
     * @param <T> what it answers
     */
    @FunctionalInterface
    public interface ServiceWork<T> {
        /**
         * @param connection the connection; not to be closed or re-bound
         * @return the answer
         * @throws LDAPException when the directory refuses or fails
         */
        T apply(LDAPConnection connection) throws LDAPException;
    }

    private final LdapSettings settings;
    private final BindPassword bindPassword;
    private final FailoverServerSet servers;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}: the pool and the sealed password it was opened with. */
    private LDAPConnectionPool pool;
    private byte[] poolPassword;
    private boolean closed;

    @Inject
    public LdapConnections(PluginConfig config, BindPassword bindPassword) {
        this(LdapSettings.from(config), bindPassword);
    }

    LdapConnections(LdapSettings settings, BindPassword bindPassword) {
        this.settings = requireNonNull(settings, "settings is null");
        this.bindPassword = requireNonNull(bindPassword, "bindPassword is null");
        this.servers = settings.configured() ? serverSet(settings) : null;
    }

    /** @return the settings the connections were made with */
    public LdapSettings settings() {
        return settings;
    }

    /**
     * Runs work on a pooled connection bound as the service account.
     *
     * @param work the work
     * @return its answer
     * @throws LDAPException when no connection can be had or the directory refuses the work
     * @throws IllegalStateException when no directory is configured
     */
    public <T> T withServiceConnection(ServiceWork<T> work) throws LDAPException {
        requireNonNull(work, "work is null");
        LDAPConnectionPool connections = pool();
        LDAPConnection connection = connections.getConnection();
        try {
            T answer = work.apply(connection);
            connections.releaseConnection(connection);
            return answer;
        } catch (LDAPException e) {
            connections.releaseConnectionAfterException(connection, e);
            throw e;
        } catch (RuntimeException | Error e) {
            connections.releaseDefunctConnection(connection);
            throw e;
        }
    }

    /**
     * Checks a password by binding with it on a connection of its own.
     *
     * @param dn the person's DN, as the directory found it
     * @param password the password's bytes, not empty (an empty password would be an anonymous bind, which succeeds)
     * @return whether the directory accepted it
     * @throws LDAPException when the directory cannot be reached or fails otherwise
     */
    public boolean passwordAccepted(String dn, byte[] password) throws LDAPException {
        requireNonNull(dn, "dn is null");
        requireNonNull(password, "password is null");
        if (password.length == 0) {
            throw new IllegalArgumentException("an empty password is an anonymous bind, never a check of a password");
        }
        try (LDAPConnection connection = servers().getConnection()) {
            connection.bind(new SimpleBindRequest(dn, password));
            return true;
        } catch (LDAPException e) {
            if (e.getResultCode() == ResultCode.INVALID_CREDENTIALS || e.getResultCode() == ResultCode.INAPPROPRIATE_AUTHENTICATION
                    || e.getResultCode() == ResultCode.UNWILLING_TO_PERFORM) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Searches the subtree below a base with the paged results control (RFC 2696), page after page on the same
     * connection (the cookie is only valid there), so that a directory's size limit never cuts the answer short.
     *
     * @param connection a connection from {@link #withServiceConnection}
     * @param base where to search
     * @param filter what to find
     * @param attributes the attributes to read
     * @param each called with every entry found
     * @return how many pages it took
     * @throws LDAPException when the directory refuses or fails on any page: then the answer is incomplete
     */
    public int pagedSearch(LDAPConnection connection, String base, Filter filter, Collection<String> attributes,
                           Consumer<SearchResultEntry> each) throws LDAPException {
        ASN1OctetString cookie = null;
        int pages = 0;
        do {
            SearchRequest request = new SearchRequest(base, SearchScope.SUB, filter, attributes.toArray(String[]::new));
            // Critical: a directory that cannot page must refuse, not answer a first page as if it were everything.
            request.setControls(new SimplePagedResultsControl(settings.pageSize(), cookie, true));
            request.setResponseTimeoutMillis(settings.responseTimeout().toMillis());
            SearchResult result = connection.search(request);
            pages++;
            result.getSearchEntries().forEach(each);
            SimplePagedResultsControl answer = SimplePagedResultsControl.get(result);
            cookie = answer == null ? null : answer.getCookie();
        } while (cookie != null && cookie.getValueLength() > 0);
        return pages;
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            closePool();
        }
    }

    private LDAPConnectionPool pool() throws LDAPException {
        FailoverServerSet serverSet = servers();
        Optional<byte[]> sealed = bindPassword.sealed();
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the plugin is stopping");
            }
            if (pool != null && !pool.isClosed() && Arrays.equals(poolPassword, sealed.orElse(null))) {
                return pool;
            }
            closePool();
            BindRequest serviceBind = null;
            if (settings.bindDn().isPresent()) {
                byte[] password = sealed.map(bindPassword::open).orElseThrow(() -> new LDAPException(ResultCode.PARAM_ERROR,
                        "The service account's password is not set: PUT it to /api/v1/plugins/identity-ldap/bind-password."));
                // Not wiped: the bind request keeps these bytes to bind each connection the pool opens later.
                serviceBind = new SimpleBindRequest(settings.bindDn().get(), password);
            }
            GetEntryLDAPConnectionPoolHealthCheck healthCheck = new GetEntryLDAPConnectionPoolHealthCheck("",
                    settings.responseTimeout().toMillis(), false, false, false, false, true, true);
            LDAPConnectionPool opened = new LDAPConnectionPool(serverSet, serviceBind, 1, settings.poolSize(), 1, null, true, healthCheck);
            opened.setHealthCheckIntervalMillis(HEALTH_CHECK_INTERVAL_MILLIS);
            opened.setConnectionPoolName("identity-ldap");
            opened.setRetryFailedOperationsDueToInvalidConnections(true);
            pool = opened;
            poolPassword = sealed.orElse(null);
            return pool;
        }
    }

    private void closePool() {
        if (pool != null) {
            pool.close();
            pool = null;
            poolPassword = null;
        }
    }

    private FailoverServerSet servers() {
        if (servers == null) {
            throw new IllegalStateException("no directory is configured: set plugins.config.identity-ldap.url");
        }
        return servers;
    }

    private static FailoverServerSet serverSet(LdapSettings settings) {
        LDAPConnectionOptions options = new LDAPConnectionOptions();
        options.setConnectTimeoutMillis((int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()));
        options.setResponseTimeoutMillis(settings.responseTimeout().toMillis());
        options.setFollowReferrals(false);
        options.setSSLSocketVerifier(settings.verifyHostname() ? new HostNameSSLSocketVerifier(true) : TrustAllSSLSocketVerifier.getInstance());
        String[] hosts = settings.servers().stream().map(LdapSettings.LdapServer::host).toArray(String[]::new);
        int[] ports = settings.servers().stream().mapToInt(LdapSettings.LdapServer::port).toArray();
        try {
            SocketFactory sockets = SocketFactory.getDefault();
            PostConnectProcessor startTls = null;
            if (settings.transport() != LdapSettings.Transport.PLAIN) {
                SSLUtil tls = new SSLUtil(trust(settings));
                if (settings.transport() == LdapSettings.Transport.LDAPS) {
                    sockets = tls.createSSLSocketFactory();
                } else {
                    startTls = new StartTLSPostConnectProcessor(tls.createSSLSocketFactory());
                }
            }
            return new FailoverServerSet(hosts, ports, sockets, options, null, startTls);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("TLS for the directory cannot be set up: " + e.getMessage(), e);
        }
    }

    /**
     * The trust of the configured CA file, or else the Java runtime's own (its {@code cacerts}, or the store an operator
     * named with {@code javax.net.ssl.trustStore}).
     */
    private static TrustManager trust(LdapSettings settings) throws GeneralSecurityException {
        KeyStore roots = null;
        if (settings.caFile().isPresent()) {
            roots = caFile(settings.caFile().get());
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(roots);
        return factory.getTrustManagers()[0];
    }

    private static KeyStore caFile(Path file) throws GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] pem = in.readNBytes(MAX_CA_FILE_BYTES + 1);
            if (pem.length > MAX_CA_FILE_BYTES) {
                throw new IllegalArgumentException("plugin setting 'caFile' names a file larger than 1 MiB");
            }
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem));
            if (certificates.isEmpty()) {
                throw new IllegalArgumentException("plugin setting 'caFile' names a file without certificates");
            }
            KeyStore roots = KeyStore.getInstance("PKCS12");
            roots.load(null, null);
            int index = 0;
            for (Certificate certificate : certificates) {
                roots.setCertificateEntry("ca-" + index++, certificate);
            }
            return roots;
        } catch (IOException e) {
            throw new IllegalArgumentException("plugin setting 'caFile' cannot be read: " + e.getMessage(), e);
        }
    }
}
