package dev.tokenrail.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;

/**
 * One answer as a soak client sees it, across however many connections it took: every event of the
 * attempt once and in order ({@code seq} 0, 1, 2 … — a gap or a duplicate after a resume shows here),
 * {@code done.text} equal to the tokens received, and a terminal event. It is also the answer's entry in the
 * ledger: started once the gateway accepted its message (202), finished once that and a terminal event have
 * both happened — in either order, since the stream may show {@code start} before the POST's answer arrives.
 *
 * <p>Thread-safe: events and the POST's response arrive on different event loops (or, for a slow reader,
 * its own thread). {@link #over()} is completed outside the lock, so whoever listens may take its own locks.
 */
final class AnswerCheck {

  private final String conversationId;
  private final String messageId;
  private final SoakCounters counters;
  private final Promise<Void> over = Promise.promise();
  private final StringBuilder text = new StringBuilder();
  private int attempt;
  private long expectedSeq;
  private int tokens;
  private String terminal;
  private boolean accepted;
  private boolean cancelRequested;
  private boolean broken;
  private boolean counted;

  AnswerCheck(String conversationId, String messageId, SoakCounters counters) {
    this.conversationId = conversationId;
    this.messageId = messageId;
    this.counters = counters;
  }

  String messageId() {
    return messageId;
  }

  String key() {
    return conversationId + "/" + messageId;
  }

  /** Completes once the message was accepted and its answer ended. */
  Future<Void> over() {
    return over.future();
  }

  /** Before the cancel is sent: a {@code cancelled} ending is then expected, not a failure. */
  synchronized void cancelRequested() {
    cancelRequested = true;
  }

  synchronized int tokens() {
    return tokens;
  }

  synchronized boolean ended() {
    return terminal != null;
  }

  /** For the report of a lost answer: how far it got. */
  synchronized String progress() {
    return key() + ": attempt " + attempt + ", next seq " + expectedSeq + ", " + tokens + " tokens"
        + (cancelRequested ? ", cancel requested" : "");
  }

  /** The gateway answered 202 for this message. */
  void accept() {
    boolean nowOver;
    synchronized (this) {
      if (accepted) {
        return;
      }
      accepted = true;
      counters.answerStarted(this);
      nowOver = countIfOver();
    }
    if (nowOver) {
      over.tryComplete();
    }
  }

  /** One event of this message, in the order the stream delivered it. */
  void onEvent(String type, JsonObject event) {
    boolean nowOver;
    synchronized (this) {
      int eventAttempt = event.getInteger("attempt", 1);
      if (eventAttempt < attempt) {
        return; // an earlier attempt's leftovers: a client shows only the newest attempt
      }
      if (eventAttempt > attempt) {
        if (!"start".equals(type)) {
          fail("attempt " + eventAttempt + " began with " + type + ", not start");
        }
        if (attempt > 0) {
          counters.count("answers restarted as a new attempt (worker failover)");
        }
        attempt = eventAttempt;
        expectedSeq = 0;
        text.setLength(0);
        tokens = 0;
        terminal = null;
      }
      long seq = event.getLong("seq", -1L);
      if (terminal != null) {
        fail(type + " seq " + seq + " after the terminal " + terminal);
      } else if (seq != expectedSeq) {
        fail("expected seq " + expectedSeq + " but got " + seq + " (" + type + ")");
      }
      expectedSeq = Math.max(expectedSeq, seq + 1);
      switch (type) {
        case "token" -> {
          tokens++;
          text.append(event.getString("text", ""));
        }
        case "done" -> {
          if (!text.toString().equals(event.getString("text"))) {
            fail("done.text differs from the " + tokens + " tokens received");
          }
          terminal = type;
        }
        case "cancelled" -> {
          if (!cancelRequested) {
            fail("cancelled, but no cancel was sent");
          }
          terminal = type;
        }
        case "error" -> {
          fail("ended with error " + event.getString("code") + ": " + event.getString("message"));
          terminal = type;
        }
        default -> { } // start, tool_call, tool_result, usage: their seq is all there is to check
      }
      nowOver = terminal != null && countIfOver();
    }
    if (nowOver) {
      over.tryComplete();
    }
  }

  private boolean countIfOver() {
    if (accepted && terminal != null && !counted) {
      counted = true;
      counters.answerFinished(this, terminal);
      return true;
    }
    return false;
  }

  private void fail(String what) {
    if (!broken) { // one answer counts once, with its first fault: later ones follow from it
      broken = true;
      counters.broken(key() + ": " + what);
    }
  }
}
