package dev.tokenrail.gateway;

import dev.tokenrail.gateway.access.AuthSettings;
import dev.tokenrail.gateway.access.ClientLimits;
import dev.tokenrail.gateway.delivery.DeliverySettings;
import dev.tokenrail.gateway.groups.GroupSettings;
import dev.tokenrail.gateway.http.HttpPolicy;
import dev.tokenrail.runtime.Env;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.ModelName;
import java.time.Duration;

/**
 * Everything a gateway needs, read once in {@code main} (or built by a test), in groups by concern.
 *
 * @param port      HTTP port; 0 picks a free one (tests)
 * @param http      what the HTTP server lets in: message, URL and header sizes, CORS origins
 * @param delivery  keep-alives, per-stream write queue, catch-up readers, replay clock skew
 * @param auth      how API calls are authenticated; {@link AuthSettings#NONE} leaves the API open
 * @param limits    message rate and open streams per subject, open streams per gateway
 * @param modelName the model {@code GET /v1/models} lists (the workers' configured model)
 * @param groups    the partitions this gateway's group reads and serves, and where the other groups are
 */
public record GatewayConfig(KafkaSettings kafka, int port, HttpPolicy http, DeliverySettings delivery,
                            AuthSettings auth, ClientLimits limits, String modelName, GroupSettings groups) {

  public static GatewayConfig fromEnv(Env env, String defaultBootstrap) {
    return new GatewayConfig(
        KafkaSettings.fromEnv(env, defaultBootstrap),
        env.intValue("PORT", 8080, 0, 65_535),
        HttpPolicy.fromEnv(env),
        DeliverySettings.fromEnv(env),
        AuthSettings.fromEnv(env),
        ClientLimits.fromEnv(env),
        ModelName.fromEnv(env),
        GroupSettings.fromEnv(env));
  }

  /** The defaults, on a given cluster and port. */
  public static GatewayConfig defaults(KafkaSettings kafka, int port) {
    return new GatewayConfig(kafka, port, HttpPolicy.DEFAULT, DeliverySettings.DEFAULT, AuthSettings.NONE,
        ClientLimits.DEFAULT, "demo",
        GroupSettings.BROADCAST);
  }

  public GatewayConfig withHttp(HttpPolicy policy) {
    return new GatewayConfig(kafka, port, policy, delivery, auth, limits, modelName, groups);
  }

  public GatewayConfig withDelivery(DeliverySettings settings) {
    return new GatewayConfig(kafka, port, http, settings, auth, limits, modelName, groups);
  }

  public GatewayConfig withKeepAlive(Duration interval) {
    return withDelivery(delivery.withKeepAlive(interval));
  }

  public GatewayConfig withAuth(AuthSettings settings) {
    return new GatewayConfig(kafka, port, http, delivery, settings, limits, modelName, groups);
  }

  public GatewayConfig withLimits(ClientLimits clientLimits) {
    return new GatewayConfig(kafka, port, http, delivery, auth, clientLimits, modelName, groups);
  }

  public GatewayConfig withGroups(GroupSettings settings) {
    return new GatewayConfig(kafka, port, http, delivery, auth, limits, modelName, settings);
  }

  public GatewayConfig withModelName(String name) {
    return new GatewayConfig(kafka, port, http, delivery, auth, limits, name, groups);
  }
}
