package dev.tokenrail.gateway.conversations;

import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.RequestRecord;
import dev.tokenrail.protocol.TraceContext;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.MeterScope;
import dev.tokenrail.runtime.Telemetry;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.producer.KafkaProducer;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import dev.tokenrail.protocol.Turn;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what clients ask of a conversation to the requests topic, under the conversation's key: its
 * messages (with the conversation's start beside the first) and cancels. Each completes once Kafka has it.
 */
public final class MessageIntake {

  private static final Logger log = LoggerFactory.getLogger(MessageIntake.class);

  private final KafkaSettings kafka;
  private final KafkaProducer<String, Buffer> requests;
  private final ConversationStarts starts;
  private final Counter accepted;

  /** @param requests the producer {@link #requestsProducer} made; {@code starts} writes with it too */
  public MessageIntake(KafkaSettings kafka, KafkaProducer<String, Buffer> requests, ConversationStarts starts,
                       String gatewayId, MeterScope meters) {
    this.kafka = kafka;
    this.requests = requests;
    this.starts = starts;
    this.accepted = Counter.builder("tokenrail.messages.accepted").description("messages stored in the requests topic")
        .tag("gateway", gatewayId).register(Telemetry.registry());
    meters.add(accepted);
  }

  /** The requests producer answers within seconds when Kafka is away, so a POST gets 503 rather than hanging. */
  public static KafkaProducer<String, Buffer> requestsProducer(Vertx vertx, KafkaSettings kafka, String clientId) {
    Map<String, String> c = kafka.producerConfig(clientId);
    c.put("max.block.ms", "5000");
    c.put("request.timeout.ms", "4000");
    c.put("delivery.timeout.ms", "10000");
    // A message is one record a user waits on, not part of a stream of thousands: send it at once.
    c.put("linger.ms", "0");
    KafkaProducer<String, Buffer> producer = KafkaProducer.create(vertx, c);
    // Each send's failure reaches its future, where it is handled; the stream would report it again, unhandled.
    producer.exceptionHandler(e -> log.debug("Requests producer: {}", e.toString()));
    return producer;
  }

  /**
   * Stores a message on the requests topic under the conversation's key; succeeds once Kafka has it. The
   * conversation's start (its first message only) is written beside the request, not before it: one
   * round trip less on the way to the first token. The request decides: stored even if the start record
   * is not (the next message of the conversation writes it again).
   */
  public Future<Void> accept(String key, MessageRequest request, TraceContext trace) {
    KafkaProducerRecord<String, Buffer> record = KafkaProducerRecord.create(kafka.topics().requests(), key,
        ProtocolCodec.encode(request));
    record.addHeader(TraceContext.HEADER, trace.header());
    Future<Void> start = starts.recordStart(key, request.ts());
    return requests.send(record)
        .compose(m -> start.otherwiseEmpty())
        .onSuccess(m -> {
          accepted.increment();
          log.info("Accepted: conversationId={} messageId={} traceId={}", request.conversationId(), request.messageId(),
              trace.traceId());
        })
        .onFailure(e -> log.warn("Request not accepted by Kafka: conversationId={}: {}", request.conversationId(),
            e.toString()))
        .mapEmpty();
  }

  /**
   * Erases a conversation: tombstones for its turns (in its memory partition) and its start, so every
   * gateway's indexes drop it at once, and a {@code delete} record for the worker, which forgets it and
   * tombstones again, in order after the messages it still has running (their turns come before).
   * Completes once Kafka has them all.
   */
  public Future<Void> delete(String key, int partition, RequestRecord.Delete delete) {
    List<Future<?>> writes = new ArrayList<>();
    for (String messageId : delete.messageIds()) {
      writes.add(requests.send(KafkaProducerRecord.<String, Buffer>create(kafka.topics().memory(),
          Turn.memoryKey(key, messageId), null, System.currentTimeMillis(), partition)));
    }
    writes.add(requests.send(KafkaProducerRecord.<String, Buffer>create(kafka.topics().conversations(), key, null)));
    writes.add(requests.send(KafkaProducerRecord.create(kafka.topics().requests(), key, ProtocolCodec.encode(delete))));
    return Future.all(writes)
        .onSuccess(v -> log.info("Deleted: conversationId={} turns={}", delete.conversationId(), delete.messageIds().size()))
        .mapEmpty();
  }

  /** Asks the worker generating the message to stop, in order with the conversation's other records. */
  public Future<Void> cancel(String key, RequestRecord.Cancel cancel) {
    return requests.send(KafkaProducerRecord.create(kafka.topics().requests(), key, ProtocolCodec.encode(cancel)))
        .mapEmpty();
  }
}
