package dev.tokenrail.bench;

import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.protocol.EventId;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.runtime.KafkaSettings;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What a client probing the gateway sends, a few a second, against live conversations: a replay from a
 * well-formed message id dated 1970 (the gateway looks for it from Kafka's first offset after that time:
 * the partition's beginning) and a resume from offset 0 of the conversation's own partition. Both are
 * timed to the response head and counted by status; a stream that does open is closed after a moment.
 * Their time per window shows whether such lookups get dearer as the partitions fill up.
 */
final class ForgedLookups {

  private static final long HOLD_OPEN_MS = 1_000;

  private final SoakLoad load;

  ForgedLookups(SoakLoad load) {
    this.load = load;
  }

  void send() {
    String conversation = load.randomConversationId();
    if (conversation == null) {
      return;
    }
    boolean byMessage = ThreadLocalRandom.current().nextBoolean();
    RequestOptions options;
    String route;
    if (byMessage) {
      options = load.http().options(HttpMethod.GET,
          "/api/conversations/" + conversation + "/events?messageId=" + ConversationIds.newMessageId(1_000L));
      route = SoakHttp.FORGED_MESSAGE;
    } else {
      // Authentication is off, so the conversation's Kafka key is its id; the default partition count.
      int partition = Partitioning.partitionOf(ConversationIds.kafkaKey(conversation), KafkaSettings.DEFAULT_PARTITIONS);
      options = load.http().options(HttpMethod.GET, "/api/conversations/" + conversation + "/events")
          .putHeader("Last-Event-ID", new EventId(partition, 0).encode());
      route = SoakHttp.FORGED_EVENT_ID;
    }
    load.http().openStream(route, options).onSuccess(response -> {
      if (response.statusCode() == 200) {
        response.handler(b -> { }); // whatever it replays is read and dropped
        load.vertx().setTimer(HOLD_OPEN_MS, t -> response.request().reset());
      } else {
        response.body(); // the JSON error, read so the connection is reused
      }
    });
  }
}
