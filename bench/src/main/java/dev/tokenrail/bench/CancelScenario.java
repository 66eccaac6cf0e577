package dev.tokenrail.bench;

import dev.tokenrail.runtime.KafkaSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

/**
 * Cancel latency: {@code --cancels} answers, one after another, each cancelled once it streams; the
 * time from the cancel POST to the {@code cancelled} event at the client.
 */
final class CancelScenario {

  private CancelScenario() {
  }

  static void run(Options options) throws Exception {
    int cancels = options.integer("cancels", 50);
    try (BenchStack stack = BenchStack.start(KafkaSettings.DEFAULT_LINGER_MS, 50, 0)) {
      Vertx load = Vertx.vertx();
      try {
        HttpClient streams = load.createHttpClient(new PoolOptions().setHttp1MaxSize(cancels + 1));
        HttpClient http = load.createHttpClient(new PoolOptions().setHttp1MaxSize(8));
        LatencyHistogram latencies = new LatencyHistogram();
        for (int i = 0; i < cancels; i++) {
          String conversation = "cancel-" + i;
          StreamClient client = new StreamClient(conversation, new LatencyHistogram());
          BenchStack.await(client.connect(streams, stack.port()));
          String messageId = BenchStack.await(Bench.post(http, stack.port(), conversation, "#tokens=5000 to be cancelled"));
          while (client.tokens() < 3) {
            Thread.sleep(5); // a benchmark waiting for the stream to run, not a test
          }
          long sent = System.nanoTime();
          BenchStack.await(http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("localhost")
                  .setPort(stack.port()).setURI("/api/conversations/" + conversation + "/cancel")
                  .putHeader("Content-Type", "application/json"))
              .compose(req -> req.send(new JsonObject().put("messageId", messageId).encode()))
              .compose(res -> res.statusCode() == 202 ? res.body() : Future.failedFuture("cancel got " + res.statusCode())));
          BenchStack.await(client.finished());
          latencies.record((System.nanoTime() - sent) / 1_000_000);
        }
        System.out.printf("Cancel latency (POST /cancel -> cancelled at the client), %d cancels, ms: p50 %d  p99 %d  max %d%n",
            cancels, latencies.percentile(0.5), latencies.percentile(0.99), latencies.percentile(1.0));
      } finally {
        BenchStack.await(load.close());
      }
    }
  }
}
