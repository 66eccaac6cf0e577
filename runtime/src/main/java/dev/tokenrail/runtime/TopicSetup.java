package dev.tokenrail.runtime;

import dev.tokenrail.protocol.Topics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates Tokenrail's topics when they are missing — or, with {@code TOKENRAIL_CREATE_TOPICS=false}, only
 * checks the topics a platform team created — and then checks them either way: every topic exists, the
 * partitioned ones share one partition count (a conversation lives in the same partition number of every
 * topic), the conversations and memory topics are compacted, and every partition has at least
 * {@code TOKENRAIL_MIN_REPLICATION} replicas. A process whose topics are not so refuses to start, naming each
 * problem. Blocking: call it from {@code main} or test set-up, before deploying verticles. Existing topics
 * are never changed.
 */
public final class TopicSetup {

  private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);
  private static final String MISSING = "does not exist";

  private TopicSetup() {
  }

  /** Creates the missing topics (if it may), returns once they are visible and as Tokenrail needs them. */
  public static void ensureTopics(KafkaSettings kafka) {
    Topics t = kafka.topics();
    TopicPolicy policy = kafka.topicPolicy();
    try (Admin admin = Admin.create(new HashMap<String, Object>(kafka.adminConfig()))) {
      if (policy.create()) {
        int brokers = admin.describeCluster().nodes().get(60, TimeUnit.SECONDS).size();
        Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
        for (String name : t.all()) {
          if (!existing.contains(name)) {
            create(admin, kafka, name, policy.replicationFor(brokers), policy.minInsyncFor(brokers));
          }
        }
      }
      List<String> problems = policy.create() ? problemsOnceVisible(admin, kafka) : problems(admin, kafka);
      if (!problems.isEmpty()) {
        throw new IllegalStateException("Kafka topics on " + kafka.bootstrapServers() + " are not as Tokenrail needs them"
            + (policy.create() ? "" : " (TOKENRAIL_CREATE_TOPICS=false: create them, or let Tokenrail)") + ": "
            + String.join("; ", problems));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while setting up topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot set up topics on " + kafka.bootstrapServers() + ": " + e.getMessage(), e);
    }
  }

  private static void create(Admin admin, KafkaSettings kafka, String name, int replication, int minInsync)
      throws InterruptedException, ExecutionException, TimeoutException {
    Topics t = kafka.topics();
    Map<String, String> configs = new HashMap<>();
    configs.put("min.insync.replicas", Integer.toString(minInsync));
    if (name.equals(t.conversations()) || name.equals(t.memory())) {
      configs.put("cleanup.policy", "compact"); // the latest record per key is all they keep
    }
    try {
      admin.createTopics(List.of(new NewTopic(name, kafka.partitions(), (short) replication).configs(configs)))
          .all().get(60, TimeUnit.SECONDS);
      log.info("Created topic {} with {} partitions, replication {}, min.insync.replicas {}", name, kafka.partitions(),
          replication, minInsync);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) { // another process created it first
        throw e;
      }
    }
  }

  /** What is wrong with the topics as they are, each said in a few words; empty when nothing is. */
  private static List<String> problems(Admin admin, KafkaSettings kafka)
      throws InterruptedException, ExecutionException, TimeoutException {
    Topics t = kafka.topics();
    List<String> problems = new ArrayList<>();
    Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
    List<String> present = new ArrayList<>();
    for (String name : t.all()) {
      if (existing.contains(name)) {
        present.add(name);
      } else {
        problems.add("topic " + name + " " + MISSING
            + (kafka.topicPolicy().create() ? "" : " (or this user may not DESCRIBE it)"));
      }
    }
    Map<String, TopicDescription> described = admin.describeTopics(present).allTopicNames().get(60, TimeUnit.SECONDS);
    Map<String, Integer> counts = new TreeMap<>();
    for (String name : t.partitioned()) {
      if (described.containsKey(name)) {
        counts.put(name, described.get(name).partitions().size());
      }
    }
    if (new HashSet<>(counts.values()).size() > 1) {
      problems.add("partition counts differ: " + counts);
    }
    int minReplication = kafka.topicPolicy().minReplication();
    described.forEach((name, d) -> {
      int least = d.partitions().stream().mapToInt(p -> p.replicas().size()).min().orElse(0);
      if (least < minReplication) {
        problems.add("topic " + name + " has " + least + " replica" + (least == 1 ? "" : "s")
            + " (TOKENRAIL_MIN_REPLICATION is " + minReplication + ")");
      }
    });
    List<ConfigResource> compacted = new ArrayList<>();
    for (String name : List.of(t.conversations(), t.memory())) {
      if (described.containsKey(name)) {
        compacted.add(new ConfigResource(ConfigResource.Type.TOPIC, name));
      }
    }
    admin.describeConfigs(compacted).all().get(60, TimeUnit.SECONDS).forEach((resource, config) -> {
      ConfigEntry policy = config.get("cleanup.policy");
      if (policy == null || !policy.value().contains("compact")) {
        problems.add("topic " + resource.name() + " is not compacted (cleanup.policy="
            + (policy == null ? "?" : policy.value()) + "; it keeps the latest record of each key)");
      }
    });
    return problems;
  }

  /**
   * The problems once every topic is visible: one just created — by this process or by another starting
   * beside it — may not have reached the metadata of the broker that answers next (on a cluster of several,
   * each answer may come from a different one), and whoever reads partitions next (the gateway's events
   * reader) must see all of them. A topic still missing after 60 s is a problem like any other.
   */
  private static List<String> problemsOnceVisible(Admin admin, KafkaSettings kafka)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      List<String> problems;
      try {
        problems = problems(admin, kafka);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
          throw e;
        }
        problems = List.of(MISSING);
      }
      if (problems.stream().noneMatch(p -> p.contains(MISSING)) || System.nanoTime() > deadline) {
        return problems;
      }
      Thread.sleep(100); // start-up only, on the main thread: metadata propagates within milliseconds
    }
  }
}
