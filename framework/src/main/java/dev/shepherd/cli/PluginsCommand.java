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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.Callable;

/** {@code shepherd plugins list}: what the running server's plugin host reports. */
@Command(name = "plugins", description = "Inspect the plugins of a running server.", mixinStandardHelpOptions = true,
        subcommands = {PluginsCommand.ListPlugins.class})
final class PluginsCommand {

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List plugins with id, version, state and failure reason. The password comes from SHEPHERD_ADMIN_PASSWORD.")
    static final class ListPlugins implements Callable<Integer> {

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
            String password = System.getenv("SHEPHERD_ADMIN_PASSWORD");
            if (password == null && System.console() != null) {
                char[] typed = System.console().readPassword("Password for %s: ", username);
                password = typed == null ? null : new String(typed);
            }
            if (password == null) {
                throw new ShepherdCli.CliException("set SHEPHERD_ADMIN_PASSWORD or run in a terminal to be asked for the password");
            }
            String credentials = Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
            HttpRequest request = HttpRequest.newBuilder(url.resolve("/api/v1/plugins"))
                    .header("Authorization", "Basic " + credentials)
                    .header("Accept", "application/json")
                    .timeout(Duration.ofSeconds(30))
                    .GET().build();
            HttpResponse<String> response;
            try {
                response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()
                        .send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new ShepherdCli.CliException("cannot reach " + url + ": " + e.getMessage());
            }
            JsonNode body = new ObjectMapper().readTree(response.body());
            if (response.statusCode() != 200) {
                throw new ShepherdCli.CliException("the server answered " + response.statusCode() + ": "
                        + body.path("detail").asText(body.path("title").asText(response.body())));
            }
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
    }
}
