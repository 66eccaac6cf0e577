package dev.tokenrail.gateway.groups;

import dev.tokenrail.runtime.Env;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which partitions this gateway's group owns, and where the other groups are.
 *
 * @param owned  {@code TOKENRAIL_GATEWAY_PARTITIONS}: the partitions this gateway reads of every topic it follows
 *               (events, memory, conversation starts); empty reads them all (broadcast, the default)
 * @param routes {@code TOKENRAIL_GATEWAY_ROUTES}: each group's partitions and base URL, where a request for a
 *               conversation of another group is redirected ({@code 307}); the same value can be given to every
 *               group, a gateway's own range in it is simply served
 */
public record GroupSettings(Optional<PartitionRanges> owned, List<Route> routes) {

  /** Every partition read here, every conversation served here: today's deployments, unchanged. */
  public static final GroupSettings BROADCAST = new GroupSettings(Optional.empty(), List.of());

  private static final Pattern ROUTE = Pattern.compile("\\s*([0-9][0-9,\\-\\s]*)=(\\S+)\\s*");

  /**
   * A group's partitions and the base URL its requests go to: an absolute {@code http(s)} URL, or a path on the
   * same front door ({@code /groups/b}); the request's own path and query are appended.
   */
  public record Route(PartitionRanges partitions, String baseUrl) {
  }

  public GroupSettings {
    if (owned.isPresent() && owned.get().size() == 0) {
      throw new IllegalArgumentException("TOKENRAIL_GATEWAY_PARTITIONS names no partition");
    }
    if (owned.isEmpty() && !routes.isEmpty()) {
      throw new IllegalArgumentException("TOKENRAIL_GATEWAY_ROUTES needs TOKENRAIL_GATEWAY_PARTITIONS: a gateway that "
          + "reads every partition serves every conversation and never redirects");
    }
    for (int i = 0; i < routes.size(); i++) {
      for (int j = i + 1; j < routes.size(); j++) {
        if (routes.get(i).partitions().intersects(routes.get(j).partitions())) {
          throw new IllegalArgumentException("TOKENRAIL_GATEWAY_ROUTES gives partitions " + routes.get(i).partitions()
              + " and " + routes.get(j).partitions() + " to two groups: a partition belongs to one group");
        }
      }
    }
    routes = List.copyOf(routes);
  }

  public static GroupSettings fromEnv(Env env) {
    Optional<PartitionRanges> owned = env.optional("TOKENRAIL_GATEWAY_PARTITIONS").map(text -> {
      try {
        return PartitionRanges.parse(text);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("TOKENRAIL_GATEWAY_PARTITIONS: " + e.getMessage());
      }
    });
    List<Route> routes = env.optional("TOKENRAIL_GATEWAY_ROUTES").map(GroupSettings::parseRoutes).orElse(List.of());
    return new GroupSettings(owned, routes);
  }

  /** {@code 0-5=http://gw-a:8080,6-11=http://gw-b:8080}; a group's ranges may be several, {@code 0-2,9=...}. */
  static List<Route> parseRoutes(String text) {
    List<Route> routes = new ArrayList<>();
    // Commas separate routes and also a group's ranges: a piece without '=' is a range of the route that follows.
    StringBuilder entry = new StringBuilder();
    for (String piece : text.split(",", -1)) {
      entry.append(entry.isEmpty() ? "" : ",").append(piece);
      if (!piece.contains("=")) {
        continue;
      }
      var m = ROUTE.matcher(entry);
      if (!m.matches()) {
        throw new IllegalArgumentException("TOKENRAIL_GATEWAY_ROUTES: '" + entry.toString().trim()
            + "' is not <partitions>=<base URL>, e.g. 0-5=http://gw-a:8080");
      }
      PartitionRanges partitions;
      try {
        partitions = PartitionRanges.parse(m.group(1));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("TOKENRAIL_GATEWAY_ROUTES: " + e.getMessage());
      }
      routes.add(new Route(partitions, baseUrl(m.group(2))));
      entry.setLength(0);
    }
    if (!entry.isEmpty()) {
      throw new IllegalArgumentException("TOKENRAIL_GATEWAY_ROUTES: '" + entry.toString().trim()
          + "' has no base URL; write <partitions>=<base URL>, e.g. 0-5=http://gw-a:8080");
    }
    return routes;
  }

  private static String baseUrl(String text) {
    String problem = null;
    try {
      URI uri = new URI(text);
      if (uri.getQuery() != null || uri.getFragment() != null) {
        problem = "has a query or fragment";
      } else if (uri.isAbsolute() ? !uri.getScheme().matches("https?") || uri.getHost() == null
          : uri.getPath() == null || !uri.getPath().startsWith("/")) {
        problem = "is neither an http(s) URL nor a path starting with /";
      }
    } catch (java.net.URISyntaxException e) {
      problem = "is not a URL";
    }
    if (problem != null) {
      throw new IllegalArgumentException("TOKENRAIL_GATEWAY_ROUTES: the base URL '" + text + "' " + problem);
    }
    return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
  }

  public boolean broadcast() {
    return owned.isEmpty();
  }

  /** Whether this gateway reads {@code partition} and serves its conversations. */
  public boolean owns(int partition) {
    return owned.map(o -> o.contains(partition)).orElse(true);
  }

  /** The base URL of the group that owns {@code partition}, if a route names it. */
  public Optional<String> routeTo(int partition) {
    return routes.stream().filter(r -> r.partitions().contains(partition)).map(Route::baseUrl).findFirst();
  }

  /**
   * Once the topics' partition count is known: every partition named must exist, or the gateway would wait for
   * a partition no record ever reaches.
   *
   * @throws IllegalStateException naming the setting
   */
  public void requireWithin(int partitionCount) {
    if (owned.isPresent() && owned.get().highest() >= partitionCount) {
      throw new IllegalStateException("TOKENRAIL_GATEWAY_PARTITIONS=" + owned.get() + " names partitions the topics do not"
          + " have: they have " + partitionCount + " (0-" + (partitionCount - 1) + ")");
    }
    for (Route route : routes) {
      if (route.partitions().highest() >= partitionCount) {
        throw new IllegalStateException("TOKENRAIL_GATEWAY_ROUTES gives " + route.partitions() + " to " + route.baseUrl()
            + ", but the topics have " + partitionCount + " partitions (0-" + (partitionCount - 1) + ")");
      }
    }
  }

  @Override
  public String toString() {
    return owned.map(o -> "partitions " + o + (routes.isEmpty() ? ", no routes to other groups"
        : ", routes " + routes.stream().map(r -> r.partitions() + "=" + r.baseUrl()).toList())).orElse("every partition (broadcast)");
  }
}
