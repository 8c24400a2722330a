package dev.shepherd.testing;

import java.io.IOException;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;

/** TLS contexts for simulated clients: one that trusts whatever the server shows, one that trusts given roots only. */
public final class TestTls {

    private TestTls() {
    }

    /**
     * What a user does who accepts the server's certificate before anything is set up (opening an enrollment link,
     * typing a server address): any server certificate is accepted.
     */
    public static SSLContext trustingAnyServer() {
        X509TrustManager anyServer = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {anyServer}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client that trusts only these roots, as a device does once enrollment gave them to it. */
    public static SSLContext trusting(X509Certificate... roots) {
        return identified(null, null, roots);
    }

    /** A client presenting its certificate (TLS client authentication) and trusting only these roots. */
    public static SSLContext identified(X509Certificate certificate, PrivateKey key, X509Certificate... roots) {
        try {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            for (int i = 0; i < roots.length; i++) {
                trusted.setCertificateEntry("root-" + i, roots[i]);
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            javax.net.ssl.KeyManager[] keyManagers = null;
            if (certificate != null) {
                KeyStore identity = KeyStore.getInstance("PKCS12");
                identity.load(null, null);
                identity.setKeyEntry("client", key, new char[0], new Certificate[] {certificate});
                javax.net.ssl.KeyManagerFactory keys = javax.net.ssl.KeyManagerFactory.getInstance(
                        javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
                keys.init(identity, new char[0]);
                keyManagers = keys.getKeyManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
