package dev.tokenrail.worker.tools;

import dev.tokenrail.runtime.Redaction;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One Model Context Protocol server whose tools a worker offers the model: reached over Streamable HTTP
 * ({@code url}, with {@code headers} for its credentials) or started as a process speaking stdio
 * ({@code command}, {@code args}, {@code env}). Its tools are offered as {@code <name>__<tool>}; {@code allow},
 * when not empty, names the only tools offered, {@code deny} tools never offered.
 *
 * <p>{@code TOKENRAIL_MCP_SERVERS} holds them as JSON, in the shape MCP clients share:
 * <pre>
 * {"weather": {"url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer ${WEATHER_TOKEN}"},
 *              "allow": ["forecast"]},
 *  "files":   {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/data"], "deny": ["write_file"]}}
 * </pre>
 * {@code ${NAME}} in the URL, an argument, a header or an environment value is the environment variable
 * {@code NAME}: a secret comes from its own variable (a Kubernetes Secret), not from the JSON. Header and
 * environment values, and URLs and arguments that took a variable, are secrets: registered with
 * {@link Redaction}, never logged; log lines name a server by its URL's host and port only. A stdio server's
 * process gets its {@code env} and only PATH, HOME, LANG, TMPDIR and JAVA_HOME of the worker's environment.
 */
public record McpServerSettings(String name, Optional<URI> url, Map<String, String> headers, List<String> command,
                                Map<String, String> env, Set<String> allow, Set<String> deny) {

  /** Server names are part of the tool names the model sees, so they follow the same rule. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,32}");
  private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

  public McpServerSettings {
    headers = Map.copyOf(headers);
    command = List.copyOf(command);
    env = Map.copyOf(env);
    allow = Set.copyOf(allow);
    deny = Set.copyOf(deny);
    if (url.isPresent() == !command.isEmpty()) {
      throw new IllegalArgumentException("MCP server '" + name + "' needs a 'url' or a 'command', not both");
    }
  }

  /** The name the model sees for this server's tool {@code tool}: {@code <server>__<tool>}. */
  public String toolName(String tool) {
    return name + "__" + tool.replaceAll("[^A-Za-z0-9_-]", "_");
  }

  public boolean offers(String tool) {
    return (allow.isEmpty() || allow.contains(tool)) && !deny.contains(tool);
  }

  /**
   * Where it is, for log lines: the URL's scheme, host and port only (hosted servers put tokens in the path,
   * the query or the user part), or the command's program.
   */
  public String where() {
    return url.map(u -> u.getScheme() + "://" + u.getHost() + (u.getPort() == -1 ? "" : ":" + u.getPort()))
        .orElse(command.isEmpty() ? "" : command.get(0));
  }

  /**
   * The servers {@code json} names; {@code environment} resolves {@code ${NAME}} references.
   *
   * @throws IllegalArgumentException saying what is wrong (never quoting a value: it may hold a secret)
   */
  public static List<McpServerSettings> parse(String json, Function<String, Optional<String>> environment) {
    if (json == null || json.isBlank()) {
      return List.of();
    }
    JsonObject servers;
    try {
      servers = new JsonObject(json);
    } catch (DecodeException | ClassCastException e) {
      throw new IllegalArgumentException("TOKENRAIL_MCP_SERVERS is not a JSON object of servers by name");
    }
    if (servers.getValue("mcpServers") instanceof JsonObject wrapped) { // the file other MCP clients read
      servers = wrapped;
    }
    List<McpServerSettings> out = new ArrayList<>();
    for (String name : servers.fieldNames()) {
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("MCP server name '" + name + "' must match [A-Za-z0-9_-]{1,32}");
      }
      if (!(servers.getValue(name) instanceof JsonObject server)) {
        throw new IllegalArgumentException("MCP server '" + name + "' must be a JSON object");
      }
      Optional<URI> url = Optional.empty();
      if (server.getValue("url") != null) {
        if (!(server.getValue("url") instanceof String u)) {
          throw new IllegalArgumentException("MCP server '" + name + "': 'url' must be an http(s) URL");
        }
        String resolved = resolve(u, name, "url", environment);
        try {
          URI parsed = new URI(resolved);
          if (!"http".equals(parsed.getScheme()) && !"https".equals(parsed.getScheme()) || parsed.getHost() == null) {
            throw new URISyntaxException(resolved, "not http(s)");
          }
          url = Optional.of(parsed);
        } catch (URISyntaxException e) { // the message would quote the URL, which may hold a token
          throw new IllegalArgumentException("MCP server '" + name + "': 'url' must be an http(s) URL");
        }
        if (!resolved.equals(u) || parsed(url).getRawUserInfo() != null) {
          Redaction.register(resolved); // it holds a secret from the environment, or a password
        }
      }
      List<String> command = new ArrayList<>();
      if (server.getValue("command") != null) {
        if (!(server.getValue("command") instanceof String c) || c.isBlank()) {
          throw new IllegalArgumentException("MCP server '" + name + "': 'command' must be a program to run");
        }
        command.add(c);
        for (String arg : strings(server.getValue("args"), name, "args")) {
          String resolved = resolve(arg, name, "args", environment);
          if (!resolved.equals(arg)) {
            Redaction.register(resolved);
          }
          command.add(resolved);
        }
      }
      out.add(new McpServerSettings(name, url, secrets(server.getValue("headers"), name, "headers", environment),
          command, secrets(server.getValue("env"), name, "env", environment),
          Set.copyOf(strings(server.getValue("allow"), name, "allow")),
          Set.copyOf(strings(server.getValue("deny"), name, "deny"))));
    }
    return out;
  }

  private static List<String> strings(Object value, String server, String field) {
    if (value == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (value instanceof JsonArray array) {
      for (Object o : array) {
        if (!(o instanceof String s)) {
          throw new IllegalArgumentException("MCP server '" + server + "': '" + field + "' must hold strings");
        }
        out.add(s);
      }
      return out;
    }
    throw new IllegalArgumentException("MCP server '" + server + "': '" + field + "' must be an array of strings");
  }

  private static Map<String, String> secrets(Object value, String server, String field,
                                             Function<String, Optional<String>> environment) {
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof JsonObject object)) {
      throw new IllegalArgumentException("MCP server '" + server + "': '" + field + "' must be an object of strings");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String key : object.fieldNames()) {
      if (!(object.getValue(key) instanceof String raw)) {
        throw new IllegalArgumentException("MCP server '" + server + "': " + field + " '" + key + "' must be a string");
      }
      String secret = resolve(raw, server, field + " '" + key + "'", environment);
      Redaction.register(secret);
      // A bearer header's token alone too: a server's error may quote it without its scheme.
      if (secret.regionMatches(true, 0, "Bearer ", 0, 7)) {
        Redaction.register(secret.substring(7));
      }
      out.put(key, secret);
    }
    return out;
  }

  private static URI parsed(Optional<URI> url) {
    return url.orElseThrow();
  }

  /** {@code raw} with each {@code ${NAME}} replaced by the environment variable {@code NAME}. */
  private static String resolve(String raw, String server, String what, Function<String, Optional<String>> environment) {
    Matcher m = REFERENCE.matcher(raw);
    StringBuilder resolved = new StringBuilder();
    while (m.find()) {
      String variable = m.group(1);
      String v = environment.apply(variable).orElseThrow(() -> new IllegalArgumentException("MCP server '" + server
          + "': " + what + " refers to ${" + variable + "}, which is not set"));
      m.appendReplacement(resolved, Matcher.quoteReplacement(v));
    }
    m.appendTail(resolved);
    return resolved.toString();
  }

  @Override
  public String toString() { // values are secrets: names only
    return "McpServerSettings[" + name + " at " + where() + ", headers " + headers.keySet() + ", env " + env.keySet()
        + ", allow " + allow + ", deny " + deny + "]";
  }
}
