package dev.tokenrail.runtime;

import io.vertx.core.json.JsonObject;

/**
 * Whether a process is ready for work, and if not, why — what {@code /ready} answers to an orchestrator
 * (503 with the reason until ready). Written by start-up (and by {@link KafkaAccess} while Kafka refuses
 * the process), read by the probe from another thread.
 */
public final class Readiness {

  private volatile JsonObject notReady = new JsonObject().put("reason", "starting");

  public boolean ready() {
    return notReady == null;
  }

  public void markReady() {
    notReady = null;
  }

  /** Not ready: {@code details} says why (a {@code reason} and anything that helps an operator). */
  public void markNotReady(JsonObject details) {
    notReady = details.copy();
  }

  /** The probe's body: {@code {"status":"UP"}}, or {@code {"status":"DOWN", "reason": …}}. */
  public JsonObject body() {
    JsonObject why = notReady;
    return why == null ? new JsonObject().put("status", "UP") : new JsonObject().put("status", "DOWN").mergeIn(why);
  }
}
