package dev.shepherd.examples.hello;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.http.DeviceEndpoint;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;

/**
 * {@code GET /mdm/hello/hello}: greets, says which version answered and which events the plugin has seen.
 * The greeting comes from {@code plugins.config.hello.greeting} in {@code conf/shepherd.yaml}.
 */
@Extension
public final class HelloEndpoint implements DeviceEndpoint {

    private final PluginIdentity identity;
    private final String greeting;
    private final EventLog events;

    @Inject
    public HelloEndpoint(PluginIdentity identity, PluginConfig config, EventLog events) {
        this.identity = identity;
        this.greeting = config.get("greeting", "Hello");
        this.events = events;
    }

    @Override
    public String path() {
        return "/hello";
    }

    @Override
    public int maxBodyBytes() {
        return 0;
    }

    @Override
    public DeviceResponse handle(DeviceRequest request) {
        if (!request.method().equals("GET")) {
            return DeviceResponse.text(405, "only GET").withHeader("Allow", "GET");
        }
        String json = "{\"greeting\":\"" + escape(greeting) + "\",\"plugin\":\"" + identity.id()
                + "\",\"version\":\"" + escape(identity.version()) + "\",\"recentEvents\":["
                + events.recent().stream().map(event -> "\"" + escape(event) + "\"").collect(Collectors.joining(","))
                + "]}";
        return DeviceResponse.of(200, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static String escape(String text) {
        StringBuilder escaped = new StringBuilder();
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> escaped.append("\\\"");
                case '\\' -> escaped.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        escaped.append(String.format("\\u%04x", (int) c));
                    } else {
                        escaped.append(c);
                    }
                }
            }
        }
        return escaped.toString();
    }
}
