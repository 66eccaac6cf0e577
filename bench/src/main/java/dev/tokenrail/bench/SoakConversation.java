package dev.tokenrail.bench;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.RecordParser;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One conversation of the soak, driven the way the chat page drives one: it holds the conversation's SSE
 * stream open, posts a message, follows the answer to its terminal event, waits as a reader would, and
 * posts again. After a few turns it closes the stream, usually deletes the conversation, and the load
 * starts a new one in its place, so conversation ids keep arriving. Along the way some answers are
 * cancelled shortly after their POST, and some streams are dropped mid-answer and reopened with
 * {@code Last-Event-ID}, as {@code EventSource} does after a network blip; each answer is checked whole
 * across both connections ({@link AnswerCheck}).
 *
 * <p>State is guarded by this object's lock (the stream and the POSTs answer on different event loops);
 * nothing is called on an {@link AnswerCheck} or the network while holding it.
 */
final class SoakConversation {

  /** The gateway pings every 15 s; a stream silent for longer than this is stuck. */
  private static final long STREAM_IDLE_TIMEOUT_MS = 45_000;
  /** What EventSource waits before reconnecting (the gateway's {@code retry:} hint). */
  private static final long RETRY_MS = 2_000;
  private static final double CANCEL_SHARE = 0.07;
  private static final double RECONNECT_MID_ANSWER_SHARE = 0.10;
  private static final double RECONNECT_BETWEEN_TURNS_SHARE = 0.05;
  private static final double TOOL_PROMPT_SHARE = 0.04;
  private static final double DELETE_SHARE = 0.7;

  private final String id;
  private final SoakLoad load;
  private final SoakCounters counters;
  private final Map<String, AnswerCheck> answers = new HashMap<>();
  private int turnsLeft;
  private int turn;
  private int streamGeneration;
  private HttpClientRequest stream;
  private String lastEventId;
  private boolean opened;
  private boolean ended;
  private AnswerCheck dropDuring;
  private int dropAtTokens;

  SoakConversation(String id, SoakLoad load, SoakCounters counters) {
    this.id = id;
    this.load = load;
    this.counters = counters;
    this.turnsLeft = 3 + ThreadLocalRandom.current().nextInt(4); // 3 to 6 turns
  }

  String id() {
    return id;
  }

  void open() {
    connect(false);
  }

  // --- the stream

  private void connect(boolean resume) {
    int generation;
    String from;
    synchronized (this) {
      if (ended) {
        return;
      }
      generation = ++streamGeneration;
      from = resume ? lastEventId : null;
    }
    RequestOptions options = load.http().options(HttpMethod.GET, "/api/conversations/" + id + "/events")
        .setIdleTimeout(STREAM_IDLE_TIMEOUT_MS);
    if (from != null) {
      options.putHeader("Last-Event-ID", from);
    }
    String route = from == null ? SoakHttp.EVENTS : SoakHttp.EVENTS_RESUME;
    load.http().openStream(route, options).onComplete(ar -> {
      if (ar.failed()) { // counted by SoakHttp
        retry(generation);
        return;
      }
      HttpClientResponse response = ar.result();
      boolean first;
      synchronized (this) {
        boolean current = generation == streamGeneration && !ended;
        if (!current || response.statusCode() != 200) {
          response.request().reset();
          if (current) {
            retry(generation);
          }
          return;
        }
        stream = response.request();
        first = !opened;
        opened = true;
      }
      response.handler(RecordParser.newDelimited("\n\n", frame -> onFrame(generation, route, frame)));
      response.exceptionHandler(e -> lost(generation, route, SoakCounters.describe(e)));
      response.endHandler(v -> lost(generation, route, "stream ended by the gateway"));
      if (first) { // a plain stream carries events from the moment it is open: only now post
        load.vertx().setTimer(1 + ThreadLocalRandom.current().nextInt(1_500), t -> nextTurn());
      }
    });
  }

  private void retry(int generation) {
    load.vertx().setTimer(RETRY_MS, t -> {
      synchronized (this) {
        if (generation != streamGeneration || ended) {
          return;
        }
      }
      connect(true);
    });
  }

  /** The stream ended without this conversation closing it: count it and reconnect, as EventSource would. */
  private void lost(int generation, String route, String why) {
    synchronized (this) {
      if (generation != streamGeneration || ended) {
        return; // a stream this conversation dropped itself
      }
      stream = null;
    }
    counters.error(route, why);
    retry(generation);
  }

  private void onFrame(int generation, String route, Buffer bytes) {
    SseFrame frame = SseFrame.parse(bytes.toString(StandardCharsets.UTF_8));
    if (!frame.isEvent()) {
      return;
    }
    if ("reset".equals(frame.event())) { // retention cut the history: never expected in a soak
      counters.error(route, "reset event: " + frame.data());
      return;
    }
    JsonObject event;
    try {
      event = new JsonObject(frame.data());
    } catch (RuntimeException e) {
      counters.broken(id + ": an event that is not JSON: " + frame.data());
      return;
    }
    AnswerCheck check;
    synchronized (this) {
      if (generation != streamGeneration) {
        return; // read from a connection already dropped: the resume delivers it again
      }
      if (frame.id() != null) {
        lastEventId = frame.id();
      }
      check = answers.computeIfAbsent(event.getString("messageId"), m -> new AnswerCheck(id, m, counters));
    }
    check.onEvent(frame.event(), event);
    if (check == dropDuringNow(check)) {
      drop(true);
      counters.count("streams dropped mid-answer and resumed with Last-Event-ID");
    }
  }

  private synchronized AnswerCheck dropDuringNow(AnswerCheck check) {
    if (check == dropDuring && check.tokens() >= dropAtTokens && !check.ended()) {
      dropDuring = null;
      return check;
    }
    return null;
  }

  /** Closes the current stream; with {@code resume}, reopens it after a moment with Last-Event-ID. */
  private void drop(boolean resume) {
    HttpClientRequest closing;
    int generation;
    synchronized (this) {
      closing = stream;
      stream = null;
      generation = ++streamGeneration; // the old stream's late frames and end are ignored from here on
    }
    if (closing != null) {
      closing.reset();
    }
    if (resume) {
      load.vertx().setTimer(100 + ThreadLocalRandom.current().nextInt(1_400), t -> {
        synchronized (this) {
          if (generation != streamGeneration || ended) {
            return;
          }
        }
        connect(true);
      });
    }
  }

  // --- turns

  private void nextTurn() {
    int number;
    synchronized (this) {
      if (ended) {
        return;
      }
      if (load.stopping() || turnsLeft <= 0) {
        number = -1;
      } else {
        turnsLeft--;
        number = ++turn;
      }
    }
    if (number < 0) {
      end();
      return;
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    String text = random.nextDouble() < TOOL_PROMPT_SHARE
        ? "calculate (" + random.nextInt(100) + "+" + random.nextInt(100) + ")*" + random.nextInt(10)
        : "#tokens=40 soak " + id + " turn " + number;
    load.http().postMessage(id, text).onComplete(ar -> {
      if (ar.failed()) { // counted by SoakHttp
        afterTurn();
        return;
      }
      String messageId = ar.result();
      AnswerCheck check;
      synchronized (this) {
        check = answers.computeIfAbsent(messageId, m -> new AnswerCheck(id, m, counters));
        if (random.nextDouble() < RECONNECT_MID_ANSWER_SHARE) {
          dropDuring = check;
          dropAtTokens = 3 + random.nextInt(30);
        }
      }
      boolean cancel = random.nextDouble() < CANCEL_SHARE;
      if (cancel) {
        check.cancelRequested(); // before the cancel exists, so its `cancelled` is never unexpected
      }
      check.accept();
      if (cancel) {
        load.vertx().setTimer(50 + random.nextInt(750), t -> {
          counters.count("cancels sent");
          load.http().cancel(id, messageId);
        });
      }
      check.over().onComplete(v -> afterTurn());
    });
  }

  private void afterTurn() {
    synchronized (this) {
      if (ended) {
        return;
      }
    }
    if (load.stopping()) {
      end();
      return;
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    if (random.nextDouble() < RECONNECT_BETWEEN_TURNS_SHARE) { // a page reload between two questions
      counters.count("streams dropped between turns and resumed with Last-Event-ID");
      drop(true);
    }
    load.vertx().setTimer(1_000 + random.nextInt(3_000), t -> nextTurn()); // a reader reading the answer
  }

  /** Closes the stream, usually deletes the conversation, and lets the load start another in its place. */
  void end() {
    synchronized (this) {
      if (ended) {
        return;
      }
    }
    drop(false);
    synchronized (this) {
      ended = true;
    }
    if (!load.stopping() && ThreadLocalRandom.current().nextDouble() < DELETE_SHARE) {
      load.http().delete(id);
    }
    load.ended(this);
  }
}
