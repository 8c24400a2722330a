package dev.shepherd.plugins.identity.oidc;

import dev.shepherd.testing.ConsoleBrowser;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.support.ui.ExpectedConditions;

import java.nio.file.Path;
import java.time.Clock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Must-show 1 of issue 18: an admin signs in to the console through OpenID Connect in a real browser (headless
 * Chromium), at a real provider's sign-in form (mock-oauth2-server, interactive), and lands in the console with the
 * role their group claim maps to; someone whose groups map to nothing is refused on the sign-in page.
 */
class OidcConsoleSignInIT {

    @TempDir
    static Path home;
    @TempDir
    Path profile;
    private static TestIdentityProvider provider;
    private static TestServer server;
    private ConsoleBrowser console;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(ConsoleBrowser.available(), ConsoleBrowser.unavailableReason());
        provider = TestIdentityProvider.start(true);
        server = provider.serverSignedInThrough(home, Clock.systemUTC());
    }

    @AfterEach
    void closeBrowser() {
        if (console != null) {
            console.close();
        }
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (provider != null) {
            provider.close();
        }
    }

    @Test
    void anAdminSignsInWithTheirOrganisationAndGetsTheRoleTheirGroupMapsTo() {
        console = ConsoleBrowser.open(server, profile);

        signInAtTheProvider("ada", "[\"auditors\", \"everyone\"]");

        console.waitForHeading("Dashboard");
        assertThat(console.driver().findElement(By.id("who")).getText()).isEqualTo("ada (auditor)");
        assertThat(console.navigation()).contains("Audit log").doesNotContain("Admins");
        console.open("#/admins");
        console.waitForText("Your role (auditor) cannot open this page.");
        // The session works as a password sign-in's does: reads pass, and a change the role lacks is refused by the server.
        Object status = ((JavascriptExecutor) console.driver()).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                fetch('/api/v1/groups', { method: 'POST', credentials: 'same-origin',
                  headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': sessionStorage.getItem('shepherd.csrf') },
                  body: JSON.stringify({ name: 'made-by-an-auditor' }) }).then(response => done(response.status));""");
        assertThat(status).isEqualTo(403L);
        // The console's own pages load cleanly; the one error of ours is that refused change (the provider's page asks
        // for a web font this machine cannot reach).
        assertThat(console.browserErrors()).filteredOn(error -> error.startsWith(server.uri("").toString()))
                .singleElement().asString().contains("/api/v1/groups", "403");

        console.signOut();
        signInAtTheProvider("grace", "[\"shepherd-admins\"]");
        console.waitForHeading("Dashboard");
        assertThat(console.driver().findElement(By.id("who")).getText()).isEqualTo("grace (admin)");
        assertThat(console.navigation()).contains("Admins");
        // Next to the roles, the admin sees which group opens which role.
        console.open("#/admins", "Admins");
        console.waitForText("Single sign-on role mappings");
        assertThat(console.mainText()).contains("shepherd-admins", "auditors");
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();
        console.screenshot("oidc-signed-in-admin");
    }

    @Test
    void someoneWhoseGroupsMapToNoRoleIsToldSoOnTheSignInPage() {
        console = ConsoleBrowser.open(server, profile);

        signInAtTheProvider("mallory", "[\"contractors\"]");

        console.await().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("form.login"),
                "none of your groups gives access to the console"));
        assertThat(console.driver().findElements(By.name("password"))).isNotEmpty();
        assertThat(console.driver().getCurrentUrl()).doesNotContain("sso-error");
        assertThat(console.accessibilityViolations("moderate")).as("WCAG 2.1 A/AA, moderate impact or worse").isEmpty();
        console.screenshot("oidc-refused");
    }

    /** From the console's sign-in page, through the provider's own sign-in form, back to the console. */
    private void signInAtTheProvider(String username, String groupsJson) {
        console.driver().get(server.uri("/").toString());
        console.await().until(ExpectedConditions.elementToBeClickable(By.linkText("Sign in with Corp"))).click();
        console.await().until(ExpectedConditions.visibilityOfElementLocated(By.name("username"))).sendKeys(username);
        console.driver().findElement(By.name("claims")).sendKeys("{\"preferred_username\": \"" + username + "\", \"groups\": " + groupsJson + "}");
        console.driver().findElement(By.cssSelector("input[type=submit]")).click();
    }
}
