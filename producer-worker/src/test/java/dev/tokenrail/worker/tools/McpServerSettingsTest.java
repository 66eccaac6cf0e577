package dev.tokenrail.worker.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class McpServerSettingsTest {

  private static final Map<String, String> ENV = Map.of("WEATHER_TOKEN", "s3cret-weather-token", "ROOT", "/data");

  private static List<McpServerSettings> parse(String json) {
    return McpServerSettings.parse(json, name -> Optional.ofNullable(ENV.get(name)));
  }

  @Test
  void serversOverHttpAndStdioWithSecretsFromTheEnvironment() {
    List<McpServerSettings> servers = parse("""
        {"weather": {"url": "https://mcp.example.com/v1/mcp?tenant=a",
                     "headers": {"Authorization": "Bearer ${WEATHER_TOKEN}"}, "allow": ["forecast"]},
         "files": {"command": "npx", "args": ["-y", "server-filesystem", "${ROOT}"], "env": {"ROOT": "${ROOT}"},
                   "deny": ["write_file"]}}""");
    assertThat(servers).hasSize(2);
    McpServerSettings weather = servers.get(0);
    assertThat(weather.headers()).containsEntry("Authorization", "Bearer s3cret-weather-token");
    assertThat(weather.offers("forecast")).isTrue();
    assertThat(weather.offers("alerts")).isFalse();
    assertThat(weather.toolName("get.alerts")).isEqualTo("weather__get_alerts");
    assertThat(weather.where()).as("no path, query or user: hosted servers keep tokens there").isEqualTo("https://mcp.example.com");
    assertThat(weather.toString()).doesNotContain("s3cret").contains("Authorization");
    McpServerSettings files = servers.get(1);
    assertThat(files.command()).containsExactly("npx", "-y", "server-filesystem", "/data");
    assertThat(files.env()).containsEntry("ROOT", "/data");
    assertThat(files.offers("read_file")).isTrue();
    assertThat(files.offers("write_file")).isFalse();
    // Other MCP clients' file wraps the servers in "mcpServers": taken as it is.
    assertThat(parse("{\"mcpServers\": {\"a\": {\"url\": \"http://localhost:1/mcp\"}}}")).singleElement()
        .satisfies(s -> assertThat(s.name()).isEqualTo("a"));
    assertThat(parse("")).isEmpty();
    McpServerSettings hosted = parse("{\"h\": {\"url\": \"https://mcp.example.com/s/${WEATHER_TOKEN}/mcp\"}}").get(0);
    assertThat(hosted.url().orElseThrow().getPath()).isEqualTo("/s/s3cret-weather-token/mcp");
    assertThat(hosted.where()).isEqualTo("https://mcp.example.com");
    assertThat(dev.tokenrail.runtime.Redaction.redact("GET https://mcp.example.com/s/s3cret-weather-token/mcp failed"))
        .doesNotContain("s3cret");
  }

  @Test
  void mistakesAreNamedWithoutQuotingAValue() {
    assertThatThrownBy(() -> parse("[1]")).hasMessageContaining("JSON object");
    assertThatThrownBy(() -> parse("{\"bad name\": {\"url\": \"http://x/mcp\"}}")).hasMessageContaining("bad name");
    assertThatThrownBy(() -> parse("{\"a\": {}}")).hasMessageContaining("'url' or a 'command'");
    assertThatThrownBy(() -> parse("{\"a\": {\"url\": \"ftp://x\"}}")).hasMessageContaining("http(s)");
    assertThatThrownBy(() -> parse("{\"a\": {\"url\": \"https://x/ key-in-a-bad-url\"}}"))
        .hasMessageContaining("http(s)").hasMessageNotContaining("key-in-a-bad-url");
    assertThatThrownBy(() -> parse("{\"a\": {\"url\": \"http://x/mcp\", \"command\": \"npx\"}}")).hasMessageContaining("not both");
    assertThatThrownBy(() -> parse("{\"a\": {\"url\": \"http://x/mcp\", \"headers\": {\"X-Key\": \"${MISSING}\"}}}"))
        .hasMessageContaining("${MISSING}").hasMessageContaining("not set");
    assertThatThrownBy(() -> parse("{\"a\": {\"url\": \"http://x/mcp\", \"headers\": {\"X-Key\": 1}}}"))
        .hasMessageContaining("X-Key");
    assertThatThrownBy(() -> parse("{\"a\": {\"command\": \"npx\", \"args\": \"-y\"}}")).hasMessageContaining("args");
  }
}
