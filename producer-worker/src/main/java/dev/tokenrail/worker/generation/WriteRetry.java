package dev.tokenrail.worker.generation;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes that must happen — an answer's {@code started} marker, its end (turn, terminal event, {@code ended}
 * marker), a dead letter — tried again until Kafka takes them. The producer retries on its own for
 * {@code delivery.timeout.ms} (2 min); a broker away for longer failed these writes for good, which left
 * the client's stream without its terminal event, the transcript {@code pending}, and the partition's
 * commits stuck behind the offset. Here they are tried again, with backoff, until they succeed or the
 * work is no longer this worker's ({@code giveUp}: the partition moved, the attempt was abandoned).
 *
 * <p>A write that timed out may have been stored all the same, so a retry can store it twice; a repeated
 * marker or turn changes nothing, and gateways skip a repeated event.
 */
public final class WriteRetry {

  private static final Logger log = LoggerFactory.getLogger(WriteRetry.class);
  private static final long FIRST_DELAY_MILLIS = 500;
  private static final long MAX_DELAY_MILLIS = 10_000;

  private final Vertx vertx;
  private final BooleanSupplier giveUp;

  public WriteRetry(Vertx vertx, BooleanSupplier giveUp) {
    this.vertx = vertx;
    this.giveUp = giveUp;
  }

  /** Completes once {@code write} succeeded; fails only when it is given up. Call on the verticle's context. */
  public Future<Void> persist(String what, Supplier<Future<Void>> write) {
    Promise<Void> written = Promise.promise();
    attempt(what, write, written, FIRST_DELAY_MILLIS);
    return written.future();
  }

  private void attempt(String what, Supplier<Future<Void>> write, Promise<Void> written, long delay) {
    if (giveUp.getAsBoolean()) {
      written.tryFail("not written, given up: " + what);
      return;
    }
    write.get()
        .onSuccess(v -> written.tryComplete())
        .onFailure(e -> {
          log.warn("Not written: {} ({}); trying again in {} ms", what, e.toString(), delay);
          vertx.setTimer(delay, id -> attempt(what, write, written, Math.min(delay * 2, MAX_DELAY_MILLIS)));
        });
  }
}
