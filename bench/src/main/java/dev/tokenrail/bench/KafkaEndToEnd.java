package dev.tokenrail.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The broker's own produce→consume latency, measured the way Kafka's {@code EndToEndLatency} tool does:
 * one record at a time, {@code acks=all}, {@code linger.ms=0}, the consumer fetching with
 * {@code fetch.max.wait.ms=0}; each sample is send → the same record polled.
 */
final class KafkaEndToEnd {

  private KafkaEndToEnd() {
  }

  static LatencyHistogram measure(String bootstrap, String topic, int samples, int recordBytes) {
    Map<String, Object> p = new HashMap<>();
    p.put("bootstrap.servers", bootstrap);
    p.put("acks", "all");
    p.put("linger.ms", "0");
    p.put("key.serializer", ByteArraySerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    Map<String, Object> c = new HashMap<>();
    c.put("bootstrap.servers", bootstrap);
    c.put("fetch.max.wait.ms", "0");
    c.put("enable.auto.commit", "false");
    c.put("key.deserializer", ByteArrayDeserializer.class.getName());
    c.put("value.deserializer", ByteArrayDeserializer.class.getName());
    LatencyHistogram histogram = new LatencyHistogram();
    byte[] value = new byte[recordBytes];
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p);
         KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToEnd(List.of(tp));
      consumer.position(tp);
      for (int i = 0; i < samples; i++) {
        long start = System.nanoTime();
        producer.send(new ProducerRecord<>(topic, 0, null, value)).get();
        int received = 0;
        while (received == 0) {
          ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(1_000));
          received = records.count();
          if (System.nanoTime() - start > 30e9) {
            throw new IllegalStateException("record " + i + " not consumed within 30 s");
          }
        }
        histogram.recordMicros((System.nanoTime() - start) / 1_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e);
    }
    return histogram;
  }
}
