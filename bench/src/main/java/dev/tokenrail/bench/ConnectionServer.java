package dev.tokenrail.bench;

import dev.tokenrail.gateway.GatewayConfig;
import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.gateway.delivery.StreamStats;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.protocol.Topics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server side of the connections measurement, run as a child process so its heap holds nothing of
 * the load generator: either a Tokenrail gateway (against the benchmark's broker) or a bare Vert.x HTTP
 * server that answers each request with SSE headers and holds the connection. Prints
 * {@code READY <port> <adminPort>}; the admin port answers {@code GET /stats} with the connections held
 * and the used heap after a full GC.
 *
 * <pre>java -cp bench.jar dev.tokenrail.bench.ConnectionServer gateway|bare [bootstrap] [topicPrefix]</pre>
 */
public final class ConnectionServer {

  private ConnectionServer() {
  }

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    int port;
    java.util.function.Supplier<io.vertx.core.Future<Integer>> held;
    if (args[0].equals("gateway")) {
      KafkaSettings kafka = new KafkaSettings(args[1], new Topics(args[2]), KafkaSettings.DEFAULT_PARTITIONS,
          KafkaSettings.DEFAULT_LINGER_MS);
      GatewayVerticle gateway = new GatewayVerticle(GatewayConfig.defaults(kafka, 0));
      BenchStack.await(vertx.deployVerticle(gateway));
      port = gateway.actualPort();
      held = () -> gateway.streamStats().map(StreamStats::open);
    } else {
      AtomicInteger connections = new AtomicInteger();
      HttpServer bare = BenchStack.await(vertx.createHttpServer(GatewayVerticle.withoutWebSockets(new HttpServerOptions())).requestHandler(request -> {
        HttpServerResponse response = request.response().setChunked(true)
            .putHeader("Content-Type", "text/event-stream; charset=utf-8").putHeader("Cache-Control", "no-cache");
        response.write(": connected\n\n");
        connections.incrementAndGet();
        request.connection().closeHandler(v -> connections.decrementAndGet());
      }).listen(0));
      port = bare.actualPort();
      held = () -> io.vertx.core.Future.succeededFuture(connections.get());
    }
    HttpServer admin = BenchStack.await(vertx.createHttpServer().requestHandler(request ->
        held.get().onSuccess(n -> request.response().end(new JsonObject().put("connections", n)
            .put("heapUsed", usedHeapAfterGc()).encode()))).listen(0));
    System.out.println("READY " + port + " " + admin.actualPort());
    System.out.flush();
  }

  private static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
