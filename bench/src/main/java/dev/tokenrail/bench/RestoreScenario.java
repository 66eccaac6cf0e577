package dev.tokenrail.bench;

import dev.tokenrail.protocol.ConversationIds;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.protocol.MessageRequest;
import dev.tokenrail.protocol.Partitioning;
import dev.tokenrail.protocol.ProtocolCodec;
import dev.tokenrail.protocol.Turn;
import dev.tokenrail.worker.ChatSettings;
import dev.tokenrail.worker.memory.ConversationMemory;
import dev.tokenrail.worker.memory.MemoryRestore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * How long a worker taking partitions over spends restoring their memory: {@code --turns} turn records
 * (a 100-character question, a 1,000-character answer) over {@code --conversations} conversations are
 * written to the memory topic, then every partition is restored as a worker does on assignment.
 */
final class RestoreScenario {

  private RestoreScenario() {
  }

  static void run(Options options) throws Exception {
    int turns = options.integer("turns", 100000);
    int conversations = options.integer("conversations", 10000);
    try (BenchStack stack = BenchStack.start(KafkaSettings.DEFAULT_LINGER_MS, 50, 200)) {
      KafkaSettings kafka = stack.kafka();
      Progress.phase(String.format("writing %,d turns of %,d conversations to %s", turns, conversations,
          kafka.topics().memory()));
      String question = "q".repeat(100);
      String answer = "a".repeat(1_000);
      long bytes = 0;
      Map<String, Object> config = new HashMap<>();
      config.put("bootstrap.servers", kafka.bootstrapServers());
      config.put("linger.ms", "20");
      config.put("compression.type", "lz4");
      config.put("key.serializer", StringSerializer.class.getName());
      config.put("value.serializer", ByteArraySerializer.class.getName());
      try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config)) {
        for (int i = 0; i < turns; i++) {
          String conversation = "restore-" + (i % conversations);
          String key = ConversationIds.kafkaKey(conversation);
          Turn turn = Turn.pending(new MessageRequest(conversation, ConversationIds.newMessageId(), question, 0), i)
              .ended(Turn.Status.DONE, answer, List.of(), 1);
          byte[] value = ProtocolCodec.encode(turn).getBytes();
          bytes += value.length;
          producer.send(new ProducerRecord<>(kafka.topics().memory(), Partitioning.partitionOf(key, kafka.partitions()),
              Turn.memoryKey(key, turn.messageId()), value));
        }
      }
      Progress.done("%,d turns, %,d MB uncompressed", turns, bytes / 1_000_000);
      Set<Integer> all = IntStream.range(0, kafka.partitions()).boxed().collect(Collectors.toSet());
      for (int round = 1; round <= 2; round++) { // the first round warms the JIT up
        long started = System.nanoTime();
        Map<Integer, ConversationMemory> restored = MemoryRestore.restore(kafka, "bench", all, 40,
            ChatSettings.DEFAULT_CONVERSATIONS_IN_MEMORY);
        double seconds = (System.nanoTime() - started) / 1e9;
        int held = restored.values().stream().mapToInt(ConversationMemory::conversations).sum();
        Progress.done("restore %d: %d partitions, %,d conversations, in %.2f s: %,.0f turns/s, %,.0f MB/s", round,
            all.size(), held, seconds, turns / seconds, bytes / 1e6 / seconds);
      }
    }
    System.exit(0);
  }
}
