package dev.tokenrail.e2e;

import static dev.tokenrail.testkit.Answers.assertCompleteAnswer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.gateway.delivery.StreamStats;
import dev.tokenrail.testkit.Answers;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.testkit.SseClient;
import dev.tokenrail.testkit.StalledSseSocket;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.model.ModelSettings;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A replay whose socket fills while the gateway is still reading the log for it: the gateway stops writing
 * (the subscription falls behind), and once the client reads again it continues from the last event it
 * delivered, catches up with an answer that is still being generated and is handed over to live delivery —
 * every event exactly once, in order.
 *
 * <p>The replay and a witness that reads along live are on different gateways, so the replaying gateway's
 * counters (tokens relayed, slow-client fallbacks) are the replay's alone.
 */
@ExtendWith(SharedKafka.class)
class CatchUpStallTest {

  private static final Duration PATIENCE = Duration.ofSeconds(90);
  /**
   * What the log holds before the replay opens: finished answers of 150 tokens of 4,000 characters each (an
   * answer's done event, which carries the whole text, stays well below Kafka's 1 MB record limit), about
   * 1.25 MB of SSE frames apiece, 7.5 MB in all. On loopback the kernel's send buffer grows to a few MB
   * (tcp_wmem's maximum, 4 MB by default) even against the stalled socket's 4 KiB receive window — measured:
   * about 3 MB of frames went out before the gateway saw the socket full — so the log must hold well more than
   * that for the socket to fill before the catch-up reaches live delivery. Big tokens keep the event count
   * (about 1,000) low enough for the test's SSE clients, which keep every event.
   */
  private static final int FILLERS = 6;
  private static final int FILLER_TOKENS = 150;
  /** The answer still being generated while the replay stalls, drains and is handed over: 300 tokens, 20 ms apart. */
  private static final int RUNNING_TOKENS = 300;
  private static final long RUNNING_PAUSE_MILLIS = 20;

  private static OpenAiCompatibleServer model;
  private static TokenrailStack stack;

  @BeforeAll
  static void start() {
    model = new OpenAiCompatibleServer(prompt -> {
      if (prompt.startsWith("filler ")) {
        return new OpenAiCompatibleServer.Script.Stream(tokens(prompt, FILLER_TOKENS, 4_000), 1);
      }
      if (prompt.startsWith("running")) {
        return new OpenAiCompatibleServer.Script.Stream(tokens(prompt, RUNNING_TOKENS, 1_000), RUNNING_PAUSE_MILLIS);
      }
      return new OpenAiCompatibleServer.Script.Stream(List.of("one", " more"), 1);
    });
    ModelSettings openAi = ModelSettings.openAi(model.baseUrl(), "sk-test", "test-model");
    // Default delivery settings: a 16 KiB write queue, two catch-up lanes, and no rule that disconnects a slow
    // client — one that does not read only falls behind and is continued from the log, so "every event once"
    // is what the client must get however long it stalls.
    stack = TokenrailStack.start(kafka -> WorkerConfig.of(kafka, openAi, 1_000).withDrainTimeout(Duration.ZERO), 2);
  }

  @AfterAll
  static void stop() {
    stack.close();
    model.close();
  }

  /*
   * How this fails if catch-up loses or repeats events around a stall. A catch-up lane writes a batch of
   * records to the replay; the socket fills mid-batch and the subscription goes BEHIND, so the lane skips the
   * rest of the batch for it and its consumer position is now past events the client never got. When the
   * client drains, delivery must restart from the subscription's own next offset. Were it continued from the
   * lane's position instead — the lane writing to it again, or handing it over to live delivery at live's
   * position — events would be missing: a seq gap or a lost terminal, a done.text other than the tokens, ids
   * that differ from the witness's. (Checked: with the lane's continuation after consumer.position() delayed
   * by 200 ms in a scratch copy, so that the drain lands there, this test fails with a message's done missing.)
   * Were it restarted from an earlier position without the never-below-what-was-written guard, events would
   * repeat: duplicate ids and seqs, two terminals. The follow-up message shows anything that came after a
   * terminal.
   */
  @Test
  void aReplayWhoseSocketFillsDuringCatchUpGetsEveryEventOnceAfterItDrains() throws Exception {
    String conversation = "catch-up-stall";
    GatewayVerticle replaying = stack.gateway(0);
    URI base = URI.create(stack.baseUrl(0));
    try (SseClient witness = SseClient.connect(stack.baseUrl(1) + "/api/conversations/" + conversation + "/events")) {
      List<String> messageIds = new ArrayList<>();
      for (int i = 0; i < FILLERS; i++) { // queued in the conversation, answered one after another
        messageIds.add(Http.postMessage(stack.baseUrl(1), conversation, "filler " + i));
      }
      String running = Http.postMessage(stack.baseUrl(1), conversation, "running");
      messageIds.add(running);
      // Every filler is done (and so in the log): the running answer has started streaming after them.
      witness.awaitEvent(e -> e.type().equals("token") && running.equals(e.data().getString("messageId"))
          && e.data().getLong("seq") >= 10, PATIENCE);
      // A lower bound of the tokens in the log when the replay opens: the witness got them through Kafka.
      long tokensLoggedAtOpen = witness.events().stream().filter(e -> e.type().equals("token")).count();
      double relayedBefore = counter(replaying, "tokenrail_tokens_relayed_total");
      double fallbacksBefore = counter(replaying, "tokenrail_sse_slow_client_fallbacks_total");

      try (StalledSseSocket stalled = StalledSseSocket.open(base.getHost(), base.getPort(),
          "/api/conversations/" + conversation + "/events?from=start")) {
        // The gateway says it stopped writing to the stalled replay: its socket and write queue are full.
        await().atMost(PATIENCE).until(() -> stats(replaying).behind() == 1);
        double relayedUntilFull = counter(replaying, "tokenrail_tokens_relayed_total") - relayedBefore;
        assertThat(relayedUntilFull)
            .as("tokens the replaying gateway wrote before the socket filled: fewer than the log held when the replay"
                + " opened, so the socket filled while the gateway was catching up from the log, before live delivery")
            .isGreaterThan(0).isLessThan(tokensLoggedAtOpen);
        assertThat(counter(replaying, "tokenrail_sse_slow_client_fallbacks_total") - fallbacksBefore).isGreaterThanOrEqualTo(1);
        assertThat(terminalsOf(witness.events(), running)).as("the running answer is still being generated at the stall")
            .isZero();

        long readAgainAt = System.currentTimeMillis();
        try (SseClient resumed = stalled.resume()) { // the client reads again: the socket drains
          // Handed over to live delivery: neither catching up nor behind (the witness is on the other gateway).
          await().atMost(PATIENCE).until(() -> {
            StreamStats s = stats(replaying);
            return s.open() == 1 && s.catchingUp() == 0 && s.behind() == 0;
          });
          long liveAt = System.currentTimeMillis();
          assertThat(terminalsOf(witness.events(), running))
              .as("the hand-over to live delivery came while the running answer was still being generated").isZero();
          assertThat(resumed.events()).as("a terminal of the running answer before the hand-over was complete")
              .noneMatch(e -> running.equals(e.data().getString("messageId")) && isTerminal(e));

          long runningDoneAt = witness.awaitEvent(e -> e.type().equals("done") && running.equals(e.data().getString("messageId")),
              PATIENCE).stream().filter(e -> e.type().equals("done") && running.equals(e.data().getString("messageId")))
              .findFirst().orElseThrow().receivedAtMillis();
          // A short next message: anything the replay might still get of the earlier answers arrives before it.
          String next = Http.postMessage(stack.baseUrl(1), conversation, "next");
          messageIds.add(next);
          List<SseClient.Event> witnessed = witness.awaitEvent(
              e -> e.type().equals("done") && next.equals(e.data().getString("messageId")), PATIENCE);
          List<SseClient.Event> events = resumed.awaitEvent(
              e -> e.type().equals("done") && next.equals(e.data().getString("messageId")), PATIENCE);

          for (String messageId : messageIds) {
            List<SseClient.Event> mine = events.stream().filter(e -> messageId.equals(e.data().getString("messageId"))).toList();
            long doneSeq = mine.get(mine.size() - 1).data().getLong("seq");
            assertThat(mine.stream().map(e -> e.data().getLong("seq")).toList())
                .as("seqs of %s: every event once, in order — start, tokens, usage, done", messageId)
                .isEqualTo(LongStream.rangeClosed(0, doneSeq).boxed().toList());
            assertThat(terminalsOf(events, messageId)).as("terminal events of %s", messageId).isEqualTo(1);
            String text = assertCompleteAnswer(events, conversation, messageId, TokenrailStack.PARTITIONS);
            assertThat(text).as("done.text of %s, as the witness got it", messageId).isEqualTo(doneText(witnessed, messageId));
          }
          assertThat(Answers.tokenCount(events, running)).isEqualTo(RUNNING_TOKENS);
          assertThat(Answers.tokenCount(events, messageIds.get(0))).isEqualTo(FILLER_TOKENS);
          assertThat(events).extracting(SseClient.Event::id).doesNotHaveDuplicates()
              .as("the replay from the start holds exactly what the live witness got")
              .isEqualTo(witnessed.stream().map(SseClient.Event::id).toList());
          System.out.printf("catch-up stall: %d tokens in the log at the replay's open, %.0f relayed until the socket"
                  + " was full, %.0f slow-client fallbacks, %d events replayed; live %d ms after the client read again,"
                  + " %d ms before the running answer's done%n", tokensLoggedAtOpen, relayedUntilFull,
              counter(replaying, "tokenrail_sse_slow_client_fallbacks_total") - fallbacksBefore, events.size(),
              liveAt - readAgainAt, runningDoneAt - liveAt);
        }
      }
    }
  }

  /** {@code count} tokens of {@code size} characters, each naming its prompt and index, so a lost or repeated one shows in the text. */
  private static List<String> tokens(String prompt, int count, int size) {
    return IntStream.range(0, count).mapToObj(i -> {
      String head = "[" + prompt + " #" + i + "]";
      return head + ".".repeat(size - head.length());
    }).toList();
  }

  private static boolean isTerminal(SseClient.Event e) {
    return List.of("done", "error", "cancelled").contains(e.type());
  }

  private static long terminalsOf(List<SseClient.Event> events, String messageId) {
    return events.stream().filter(e -> messageId.equals(e.data().getString("messageId")) && isTerminal(e)).count();
  }

  private static StreamStats stats(GatewayVerticle gateway) {
    return TokenrailStack.await(gateway.streamStats());
  }

  private static String doneText(List<SseClient.Event> events, String messageId) {
    return events.stream().filter(e -> e.type().equals("done") && messageId.equals(e.data().getString("messageId")))
        .map(e -> e.data().getString("text")).findFirst().orElseThrow();
  }

  /** A counter of one gateway, from {@code GET /metrics} (the registry holds every gateway's, tagged by instance). */
  private static double counter(GatewayVerticle gateway, String name) {
    Http.Response r = Http.get("http://localhost:" + gateway.actualPort() + "/metrics");
    assertThat(r.status()).isEqualTo(200);
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\} ([-+0-9.eE]+)$").matcher(r.body());
    double sum = 0;
    while (m.find()) {
      if (m.group(1).contains("gateway=\"" + gateway.instanceId() + "\"")) {
        sum += Double.parseDouble(m.group(2));
      }
    }
    return sum;
  }
}
