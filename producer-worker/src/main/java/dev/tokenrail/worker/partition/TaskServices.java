package dev.tokenrail.worker.partition;

import dev.tokenrail.protocol.Topics;
import dev.tokenrail.worker.generation.EventSender;
import dev.tokenrail.worker.generation.GenerationSettings;
import dev.tokenrail.worker.memory.MemoryReads;
import dev.tokenrail.worker.memory.MemoryWindow;
import dev.tokenrail.worker.memory.RecentTurns;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.kafka.client.producer.KafkaProducer;

/**
 * What every partition task of one verticle shares, made once the verticle knows its topics' partition count.
 *
 * @param context         the verticle's context: every task, generation and Kafka write is confined to it
 * @param generation      what every generation shares
 * @param memoryWindow    how much of a conversation the model is sent
 * @param recentTurns     the turns the worker holds, shared by its partitions' memories
 * @param memoryReads     reads back the turns of a conversation let go from {@code recentTurns}
 * @param producer        the verticle's producer, for every write but events
 * @param events          the verticle's sender of event records, in the order they are made
 * @param topics          topic names
 * @param partitionCount  partitions of the requests topic, and so of the memory topic
 * @param slots           the worker's generation slots
 * @param commits         told each offset that may be committed
 */
public record TaskServices(Context context, GenerationSettings generation, MemoryWindow memoryWindow,
                           RecentTurns recentTurns, MemoryReads memoryReads,
                           KafkaProducer<String, Buffer> producer, EventSender events, Topics topics, int partitionCount,
                           GenerationSlots slots, OffsetCommits commits) {
}
