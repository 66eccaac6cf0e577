package dev.tokenrail.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The soak's traffic, all over real HTTP to one gateway, paced: {@code conversations} conversations at
 * once, each replaced by a new one when it ends ({@link SoakConversation}); stateless completions
 * ({@link CompletionTraffic}); forged lookups ({@link ForgedLookups}); a handful of slow readers
 * ({@link SlowReader}). {@link #stop()} stops new work — conversations end after their current answer —
 * and {@link #awaitDrain} waits for every accepted answer to end.
 */
final class SoakLoad {

  /** Conversations start spread over this long, not all in the same second. */
  private static final long RAMP_MS = 10_000;

  record Settings(int conversations, double completionsPerSecond, double forgedPerSecond, int slowReaders) {
  }

  private final Vertx vertx;
  private final Settings settings;
  private final SoakCounters counters;
  private final HttpClient client;
  private final SoakHttp http;
  private final List<SoakConversation> active = new ArrayList<>();
  private final List<SlowReader> slowReaders = new ArrayList<>();
  private final List<Thread> slowThreads = new ArrayList<>();
  private final List<Long> timers = new ArrayList<>();
  private final AtomicLong conversationsStarted = new AtomicLong();
  private volatile long endsAtNanos;
  private volatile boolean stopping;

  SoakLoad(Vertx vertx, int port, Settings settings, SoakCounters counters) {
    this.vertx = vertx;
    this.settings = settings;
    this.counters = counters;
    // One connection per open stream, plus the calls in flight and the streams being replaced.
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(settings.conversations() * 2 + 256));
    this.http = new SoakHttp(client, port, counters);
  }

  Vertx vertx() {
    return vertx;
  }

  SoakHttp http() {
    return http;
  }

  boolean stopping() {
    return stopping;
  }

  /** Until the planned end of the load; a slow reader sizes its stall by it, so its answers end in the drain. */
  long millisLeft() {
    return Math.max(0, (endsAtNanos - System.nanoTime()) / 1_000_000);
  }

  long conversationsStarted() {
    return conversationsStarted.get();
  }

  synchronized int activeConversations() {
    return active.size();
  }

  /** Starts the traffic; {@code durationMs} is when the scenario will stop it, for work that must plan ahead. */
  void start(long durationMs) {
    endsAtNanos = System.nanoTime() + durationMs * 1_000_000;
    for (int i = 0; i < settings.conversations(); i++) {
      vertx.setTimer(1 + RAMP_MS * i / settings.conversations(), t -> startConversation());
    }
    if (settings.completionsPerSecond() > 0) {
      CompletionTraffic completions = new CompletionTraffic(this, counters);
      timers.add(vertx.setPeriodic(Math.max(1, Math.round(1_000 / settings.completionsPerSecond())), t -> completions.send()));
    }
    if (settings.forgedPerSecond() > 0) {
      ForgedLookups forged = new ForgedLookups(this);
      timers.add(vertx.setPeriodic(Math.max(1, Math.round(1_000 / settings.forgedPerSecond())), t -> forged.send()));
    }
    for (int i = 0; i < settings.slowReaders(); i++) {
      SlowReader reader = new SlowReader(i, this, counters);
      Thread thread = new Thread(reader, "soak-slow-reader-" + i);
      thread.setDaemon(true);
      slowReaders.add(reader);
      slowThreads.add(thread);
      thread.start();
    }
  }

  private void startConversation() {
    if (stopping) {
      return;
    }
    SoakConversation conversation = new SoakConversation("soak-" + conversationsStarted.incrementAndGet(), this, counters);
    synchronized (this) {
      active.add(conversation);
    }
    conversation.open();
  }

  /** A conversation ended: a new one (new id) takes its place after a moment, unless the load stops. */
  void ended(SoakConversation conversation) {
    synchronized (this) {
      active.remove(conversation);
    }
    if (!stopping) {
      vertx.setTimer(1 + ThreadLocalRandom.current().nextInt(2_000), t -> startConversation());
    }
  }

  /** A conversation open right now, for the forged lookups to aim at; null when there is none. */
  synchronized String randomConversationId() {
    return active.isEmpty() ? null : active.get(ThreadLocalRandom.current().nextInt(active.size())).id();
  }

  /** No new messages, completions or lookups from here on; answers under way go on to their end. */
  void stop() {
    stopping = true;
    timers.forEach(vertx::cancelTimer);
  }

  /** Waits until every accepted answer and every completion has ended, or {@code maxMillis} passed. */
  boolean awaitDrain(long maxMillis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + maxMillis;
    long nextLine = System.currentTimeMillis() + 10_000;
    while (counters.outstandingCount() > 0 || counters.completionsInFlight() > 0) {
      if (System.currentTimeMillis() >= deadline) {
        return false;
      }
      if (System.currentTimeMillis() >= nextLine) {
        Progress.line("draining: %d answers and %d completions still under way", counters.outstandingCount(),
            counters.completionsInFlight());
        nextLine += 10_000;
      }
      Thread.sleep(200); // a load generator waiting for its own clients
    }
    return true;
  }

  /** Closes every stream and socket the load still holds, then its HTTP client. */
  void close() throws Exception {
    stop();
    List<SoakConversation> open;
    synchronized (this) {
      open = new ArrayList<>(active);
    }
    open.forEach(SoakConversation::end);
    for (SlowReader reader : slowReaders) {
      reader.close();
    }
    for (Thread thread : slowThreads) {
      thread.join(5_000);
    }
    BenchStack.await(client.close());
  }
}
