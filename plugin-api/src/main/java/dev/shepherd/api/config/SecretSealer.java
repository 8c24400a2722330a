package dev.shepherd.api.config;

/**
 * Encrypts secrets a plugin must keep, such as a device's unlock or bootstrap token, with the server's secrets
 * key (authenticated encryption), so they are never stored in the clear. The key never leaves the kernel.
 */
public interface SecretSealer {

    /**
     * @param secret the secret
     * @return the sealed form, safe to store
     */
    byte[] seal(byte[] secret);

    /**
     * @param sealed what {@link #seal(byte[])} returned
     * @return the secret
     * @throws IllegalArgumentException when the sealed form was altered or sealed with another key
     */
    byte[] open(byte[] sealed);
}
