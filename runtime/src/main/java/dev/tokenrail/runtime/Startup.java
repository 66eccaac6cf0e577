package dev.tokenrail.runtime;

import io.vertx.core.Future;
import java.net.BindException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a runnable jar starts, and how it fails to: on the main thread, so that a failure is reported in one
 * line that says why (a port in use, a broker that does not answer, a bad setting) and the process exits
 * non-zero at once. Exiting from an event loop instead — a deployment's failure callback — blocked that
 * loop: the shutdown hook waits for Vert.x to close, which needs the loop, and the process lingered.
 */
public final class Startup {

  private static final Logger log = LoggerFactory.getLogger(Startup.class);
  /** How long a deployment may take before start-up gives up (topics, a first JWKS fetch, consumers). */
  private static final long DEPLOY_TIMEOUT_SECONDS = 120;

  /** What a process does to start; it may throw anything, which ends the process. */
  @FunctionalInterface
  public interface Steps {
    void run() throws Exception;
  }

  private Startup() {
  }

  /** Runs {@code steps}; if they fail, logs one line naming {@code process} and the cause, and exits with 1. */
  public static void run(String process, Steps steps) {
    try {
      steps.run();
    } catch (Throwable e) {
      log.error("{} cannot start: {}", process, describe(e));
      log.debug("{} start-up failure", process, e);
      System.exit(1);
    }
  }

  /** Waits on the main thread for a start-up step running on Vert.x; its failure is thrown here. */
  public static <T> T await(Future<T> step) throws Exception {
    try {
      return step.toCompletionStage().toCompletableFuture().get(DEPLOY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    } catch (TimeoutException e) {
      throw new IllegalStateException("start-up did not finish within " + DEPLOY_TIMEOUT_SECONDS + " s");
    }
  }

  /** A listen that failed because its port is taken says which port. */
  public static <T> Future<T> listening(Future<T> listen, String what, int port) {
    return listen.recover(e -> Future.failedFuture(e instanceof BindException
        ? new IllegalStateException(what + " port " + port + " is in use (" + e.getMessage() + ")", e) : e));
  }

  /** The cause a reader needs: the innermost message that says something, with its type when it says little. */
  static String describe(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t
        && (t.getMessage() == null || t instanceof ExecutionException || t.getMessage().equals(t.getCause().toString()))) {
      t = t.getCause();
    }
    String message = t.getMessage();
    return message == null || message.isBlank() ? t.toString() : Redaction.redact(message);
  }
}
