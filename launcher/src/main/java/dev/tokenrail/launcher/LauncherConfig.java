package dev.tokenrail.launcher;

import dev.tokenrail.runtime.Env;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What the one-JVM launcher runs.
 *
 * @param roles            any of broker, worker, gateway ({@code TOKENRAIL_ROLES}, default all)
 * @param externalKafka    {@code KAFKA_BOOTSTRAP_SERVERS}: when set, no broker is started here
 * @param kafkaPort        the embedded broker's client port ({@code TOKENRAIL_KAFKA_PORT}, default 9092)
 * @param dataDir          the embedded broker's data ({@code TOKENRAIL_DATA_DIR}, default ./data)
 */
public record LauncherConfig(Set<Role> roles, Optional<String> externalKafka, int kafkaPort, Path dataDir) {

  public enum Role { BROKER, WORKER, GATEWAY }

  public static LauncherConfig fromEnv(Env env) {
    return new LauncherConfig(
        parseRoles(env.string("TOKENRAIL_ROLES", "broker,worker,gateway")),
        env.optional("KAFKA_BOOTSTRAP_SERVERS"),
        env.intValue("TOKENRAIL_KAFKA_PORT", 9092, 1, 65_535),
        Path.of(env.string("TOKENRAIL_DATA_DIR", "data")));
  }

  /** The embedded broker runs when asked for and no external cluster is named. */
  public boolean startsBroker() {
    return roles.contains(Role.BROKER) && externalKafka.isEmpty();
  }

  static Set<Role> parseRoles(String value) {
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (String name : value.split(",")) {
      String n = name.trim().toUpperCase(Locale.ROOT);
      if (n.isEmpty()) {
        continue;
      }
      try {
        roles.add(Role.valueOf(n));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("TOKENRAIL_ROLES takes any of broker,worker,gateway; got '" + name.trim()
            + "' (valid: " + Arrays.toString(Role.values()).toLowerCase(Locale.ROOT) + ")");
      }
    }
    if (roles.isEmpty()) {
      throw new IllegalArgumentException("TOKENRAIL_ROLES names no role");
    }
    return roles;
  }
}
