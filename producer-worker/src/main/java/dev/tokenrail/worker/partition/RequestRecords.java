package dev.tokenrail.worker.partition;

import dev.tokenrail.protocol.TraceContext;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.consumer.KafkaConsumerRecord;
import io.vertx.kafka.client.producer.KafkaProducerRecord;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What a request record carries besides its value (its trace), and where one no protocol reads goes. */
final class RequestRecords {

  private static final Logger log = LoggerFactory.getLogger(RequestRecords.class);

  private RequestRecords() {
  }

  /** Copies a record that is not protocol v1 to the dead-letter topic with the reason, so it never stalls its partition. */
  static Future<Void> deadLetter(TaskServices services, KafkaConsumerRecord<String, Buffer> record, String reason) {
    log.warn("Dead-lettering a request record that is not protocol v1 at {}-{}@{}: {}",
        record.topic(), record.partition(), record.offset(), reason);
    KafkaProducerRecord<String, Buffer> copy = KafkaProducerRecord.create(services.topics().deadLetters(),
        record.key(), record.value() == null ? Buffer.buffer() : record.value());
    copy.addHeader("tokenrail-dlq-reason", Buffer.buffer(reason, StandardCharsets.UTF_8.name()));
    copy.addHeader("tokenrail-dlq-origin", record.topic() + "-" + record.partition() + "@" + record.offset());
    return services.producer().send(copy).mapEmpty();
  }


  /** The request's trace, continued by this worker; a request without one starts a trace here. */
  static TraceContext traceOf(KafkaConsumerRecord<String, Buffer> record) {
    String header = null;
    for (var h : record.headers()) {
      if (h.key().equals(TraceContext.HEADER)) {
        header = h.value().toString(StandardCharsets.UTF_8);
        break;
      }
    }
    return TraceContext.continued(header);
  }
}
