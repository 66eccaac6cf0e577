package dev.tokenrail.bench;

import dev.tokenrail.runtime.KafkaSettings;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.PoolOptions;

/**
 * Catch-up speed: one answer of {@code --tokens} tokens is streamed into the log, then replayed to one
 * client with {@code ?from=start}; events per second from the request to {@code done}. The replay runs
 * twice and the second is reported (the first warms the JIT).
 */
final class ReplayScenario {

  private ReplayScenario() {
  }

  static void run(Options options) throws Exception {
    int tokens = options.integer("tokens", 100000);
    try (BenchStack stack = BenchStack.start(KafkaSettings.DEFAULT_LINGER_MS, 100_000, 0)) {
      Vertx load = Vertx.vertx();
      try {
        HttpClient http = load.createHttpClient(new PoolOptions().setHttp1MaxSize(8));
        StreamClient source = new StreamClient("replay-source", new LatencyHistogram());
        BenchStack.await(source.connect(http, stack.port()));
        BenchStack.await(Bench.post(http, stack.port(), "replay-source", "#tokens=" + tokens + " to replay"));
        BenchStack.await(source.finished());
        System.out.printf("Log holds one answer of %,d tokens (%,d events)%n", tokens, source.events());
        for (int round = 1; round <= 2; round++) {
          StreamClient replay = new StreamClient("replay-source", new LatencyHistogram());
          long started = System.nanoTime();
          BenchStack.await(replay.connect(http, stack.port(), "?from=start"));
          BenchStack.await(replay.finished());
          double seconds = (System.nanoTime() - started) / 1e9;
          System.out.printf("Replay %d: %,d events in %.2f s = %,.0f events/s to one client; complete and in order: %s%n",
              round, replay.events(), seconds, replay.events() / seconds, replay.failure() == null && replay.tokens() == tokens);
        }
      } finally {
        BenchStack.await(load.close());
      }
    }
  }
}
