package dev.tokenrail.runtime;

import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Clean exit on Ctrl-C / SIGTERM for the runnable jars: undeploy verticles, then close what they used. */
public final class Shutdown {

  private static final Logger log = LoggerFactory.getLogger(Shutdown.class);
  private static final long TIMEOUT_SECONDS = 60;

  private Shutdown() {
  }

  /** On JVM exit, closes {@code vertx} (stopping every verticle), then each of {@code after} in order. */
  public static void onExit(Vertx vertx, AutoCloseable... after) {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("Vert.x did not close cleanly: {}", e.toString());
      }
      for (AutoCloseable c : after) {
        try {
          c.close();
        } catch (Exception e) {
          log.warn("{} did not close cleanly: {}", c, e.toString());
        }
      }
      log.info("Stopped");
    }, "tokenrail-shutdown"));
  }
}
