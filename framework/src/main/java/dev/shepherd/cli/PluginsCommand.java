package dev.shepherd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code shepherd plugins list}: what the running server's plugin host reports. */
@Command(name = "plugins", description = "Inspect the plugins of a running server.", mixinStandardHelpOptions = true,
        subcommands = {PluginsCommand.ListPlugins.class})
final class PluginsCommand {

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List plugins with id, version, state and failure reason. Signs in with the password from SHEPHERD_ADMIN_PASSWORD"
                    + " (or asks for it), or uses the API token in SHEPHERD_API_TOKEN.")
    static final class ListPlugins implements Callable<Integer> {

        private static final ObjectMapper JSON = new ObjectMapper();
        private static final String SESSION_COOKIE = "shepherd_session";

        @Option(names = "--url", defaultValue = "http://localhost:8080", description = "Server URL (default ${DEFAULT-VALUE}).")
        URI url;

        @Option(names = "--username", defaultValue = "${env:SHEPHERD_ADMIN_USER:-admin}", description = "Admin login (default ${DEFAULT-VALUE}).")
        String username;

        @Option(names = "--json", description = "Print the server's JSON as is.")
        boolean json;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException, InterruptedException {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            String token = System.getenv("SHEPHERD_API_TOKEN");
            Optional<Session> session = Optional.empty();
            HttpRequest.Builder request = HttpRequest.newBuilder(url.resolve("/api/v1/plugins"))
                    .header("Accept", "application/json").timeout(Duration.ofSeconds(30)).GET();
            if (token != null && !token.isBlank()) {
                request.header("Authorization", "Bearer " + token.trim());
            } else {
                session = Optional.of(signIn(http));
                request.header("Cookie", session.get().cookie());
            }
            HttpResponse<String> response;
            try {
                response = send(http, request.build());
            } finally {
                if (session.isPresent()) {
                    signOut(http, session.get());
                }
            }
            JsonNode body = answer(response, 200);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(body.toPrettyString());
                return 0;
            }
            out.printf("%-24s %-14s %-14s %s%n", "ID", "VERSION", "STATE", "FILE / REASON");
            for (JsonNode plugin : body.path("items")) {
                String detail = plugin.path("file").asText();
                if (plugin.hasNonNull("failureReason")) {
                    detail += ": " + plugin.path("failureReason").asText();
                }
                if (plugin.hasNonNull("retryAt")) {
                    detail += " (tried again from " + plugin.path("retryAt").asText() + ")";
                }
                out.printf("%-24s %-14s %-14s %s%n", plugin.path("id").asText(), plugin.path("version").asText(),
                        plugin.path("state").asText(), detail);
            }
            return 0;
        }

        /** A signed-in session: its cookie and the CSRF token its changes (the sign-out) carry. */
        private record Session(String cookie, String csrfToken) {
        }

        /**
         * Signs in with the password, as the console does: HTTP Basic is off unless the server's operator turns it
         * on, and a session works either way.
         */
        private Session signIn(HttpClient http) throws IOException, InterruptedException {
            String password = System.getenv("SHEPHERD_ADMIN_PASSWORD");
            if (password == null && System.console() != null) {
                char[] typed = System.console().readPassword("Password for %s: ", username);
                password = typed == null ? null : new String(typed);
            }
            if (password == null) {
                throw new ShepherdCli.CliException("set SHEPHERD_ADMIN_PASSWORD (or SHEPHERD_API_TOKEN) or run in a terminal to be asked for the password");
            }
            String credentials = JSON.writeValueAsString(Map.of("username", username, "password", password));
            HttpResponse<String> response = send(http, HttpRequest.newBuilder(url.resolve("/api/v1/auth/login"))
                    .header("Content-Type", "application/json").header("Accept", "application/json")
                    .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(credentials)).build());
            JsonNode signedIn = answer(response, 200);
            String cookie = response.headers().allValues("Set-Cookie").stream()
                    .filter(value -> value.startsWith(SESSION_COOKIE + "=")).map(value -> value.split(";", 2)[0]).findFirst()
                    .orElseThrow(() -> new ShepherdCli.CliException("the server started no session"));
            return new Session(cookie, signedIn.path("csrfToken").asText());
        }

        private void signOut(HttpClient http, Session session) {
            try {
                send(http, HttpRequest.newBuilder(url.resolve("/api/v1/auth/logout")).header("Cookie", session.cookie())
                        .header("X-CSRF-Token", session.csrfToken()).timeout(Duration.ofSeconds(10))
                        .POST(HttpRequest.BodyPublishers.noBody()).build());
            } catch (IOException | ShepherdCli.CliException e) {
                // the session expires by itself
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private HttpResponse<String> send(HttpClient http, HttpRequest request) throws IOException, InterruptedException {
            try {
                return http.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new ShepherdCli.CliException("cannot reach " + url + ": " + e.getMessage());
            }
        }

        private static JsonNode answer(HttpResponse<String> response, int expected) throws IOException {
            JsonNode body;
            try {
                body = JSON.readTree(response.body());
            } catch (IOException e) {
                throw new ShepherdCli.CliException("the server answered " + response.statusCode() + " with something other than JSON");
            }
            if (response.statusCode() != expected) {
                throw new ShepherdCli.CliException("the server answered " + response.statusCode() + ": "
                        + body.path("detail").asText(body.path("title").asText(response.body())));
            }
            return body;
        }
    }
}
