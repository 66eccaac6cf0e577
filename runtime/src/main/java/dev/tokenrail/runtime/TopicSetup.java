package dev.tokenrail.runtime;

import dev.tokenrail.protocol.Topics;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates Tokenrail's topics when they are missing, with one partition count for all of them (a
 * conversation lives in the same partition number of every topic). Blocking: call it from {@code main}
 * or test set-up, before deploying verticles. Existing topics are left as they are.
 */
public final class TopicSetup {

  private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);

  private TopicSetup() {
  }

  /** Creates the missing topics and returns once the broker answers metadata requests for all of them. */
  public static void ensureTopics(KafkaSettings kafka) {
    Topics t = kafka.topics();
    try (Admin admin = Admin.create(new HashMap<String, Object>(kafka.adminConfig()))) {
      Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
      for (String name : t.all()) {
        if (existing.contains(name)) {
          continue;
        }
        NewTopic topic = new NewTopic(name, kafka.partitions(), (short) -1);
        if (name.equals(t.conversations()) || name.equals(t.memory())) {
          topic.configs(Map.of("cleanup.policy", "compact")); // the latest record per key is all they keep
        }
        try {
          admin.createTopics(List.of(topic)).all().get(60, TimeUnit.SECONDS);
          log.info("Created topic {} with {} partitions", name, kafka.partitions());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) { // another process created it first
            throw e;
          }
        }
      }
      awaitVisible(admin, t.all());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot create topics on " + kafka.bootstrapServers() + ": " + e.getMessage(), e);
    }
  }

  /**
   * A topic another process has just created may not have reached the broker's metadata yet; whoever
   * reads partitions next (the gateway's events reader) must see all of them.
   */
  private static void awaitVisible(Admin admin, List<String> names) throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS);
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
          throw new IllegalStateException("topics " + names + " not visible: " + e.getCause(), e);
        }
        Thread.sleep(100); // start-up only, on the main thread: metadata propagates within milliseconds
      }
    }
  }
}
