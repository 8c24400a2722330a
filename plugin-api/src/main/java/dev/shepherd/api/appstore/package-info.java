/**
 * Extension point of app-store plugins ({@link dev.shepherd.api.appstore.AppStoreConnector}) and the records they
 * exchange with the kernel's app catalog: apps, licences, catalog pages and the installation a platform plugin turns
 * into its install command ({@link dev.shepherd.api.appstore.AppInstallation}).
 */
package dev.shepherd.api.appstore;
