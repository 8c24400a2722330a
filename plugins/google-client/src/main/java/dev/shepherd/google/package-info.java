/**
 * Calling Google's APIs as a service account, shared by the plugins that manage devices through Google's cloud
 * (Android through the Android Management API, ChromeOS through the Admin SDK and the Chrome Policy API).
 *
 * <ul>
 *   <li>{@link dev.shepherd.google.ServiceAccount} and {@link dev.shepherd.google.ServiceAccountKeys}: the JSON key an
 *       admin downloads from Google Cloud, checked and kept sealed in the plugin's storage;
 *       {@link dev.shepherd.google.ServiceAccountEndpoint} is the admin endpoint that uploads, shows and removes it.</li>
 *   <li>{@link dev.shepherd.google.AccessTokens}: OAuth 2.0 access tokens by the JWT-bearer grant, cached until shortly
 *       before they expire.</li>
 *   <li>{@link dev.shepherd.google.GoogleClient}: JSON calls carrying the token, renewing it on a 401 and retrying what
 *       may succeed later as a {@link dev.shepherd.google.RetryPolicy} allows; what does not succeed is a
 *       {@link dev.shepherd.google.GoogleException} in Google's words.</li>
 *   <li>{@link dev.shepherd.google.GoogleUrls}: Google URLs carry credentials, so they must be https (plain http only to
 *       a loopback address, for stand-ins and local relays).</li>
 * </ul>
 *
 * <p>The library is bundled into each plugin's file, so every plugin has its own copy in its own class loader. Its
 * classes are not injected by themselves: each plugin binds them to its own storage key, scopes and settings, through
 * a small subclass (the keys, the endpoint) or in the constructor of its own API client.
 */
package dev.shepherd.google;
