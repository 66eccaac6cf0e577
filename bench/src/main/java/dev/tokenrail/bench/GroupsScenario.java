package dev.tokenrail.bench;

import dev.tokenrail.gateway.GatewayConfig;
import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.gateway.access.ClientLimits;
import dev.tokenrail.gateway.groups.GroupSettings;
import dev.tokenrail.gateway.groups.PartitionRanges;
import dev.tokenrail.kafka.EmbeddedKafkaBroker;
import dev.tokenrail.launcher.Launcher;
import dev.tokenrail.protocol.Topics;
import dev.tokenrail.runtime.KafkaSettings;
import dev.tokenrail.runtime.Telemetry;
import dev.tokenrail.runtime.TopicSetup;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a gateway reads from Kafka, broadcast against gateway groups, for the same load: two broadcast gateways and
 * two group gateways (partitions 0-5 and 6-11 of 12) follow one events topic side by side while a producer writes
 * token events for many conversations, spread over every partition by their keys. Per gateway: the bytes its events
 * reader fetched (Kafka's own {@code bytes-consumed-total}) and the records it read ({@code tokenrail.events.read}).
 * A group gateway should read about half of a broadcast one's.
 *
 * <p>With {@code --apart true} the gateways are processes of the launcher jar (a broker and a worker beside them), one
 * broadcast and one per group, so each one's CPU time reading the topic is its own ({@code /proc}): what a record costs
 * a gateway whose clients do not follow it — the figure that decides how far broadcast goes.
 *
 * <pre>java -jar bench/target/bench.jar groups [--conversations 1000] [--tokens 300] [--apart true]</pre>
 */
final class GroupsScenario {

  private record Gateway(String role, String partitions, GatewayVerticle verticle) {
  }

  private GroupsScenario() {
  }

  static void run(Options options) throws Exception {
    int conversations = options.integer("conversations", 1000);
    long tokens = options.longValue("tokens", 300);
    if (options.flag("apart", false)) {
      apart(options.jar(), conversations, tokens);
      return;
    }
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(Files.createTempDirectory("tokenrail-bench"), 0, Map.of());
    KafkaSettings kafka = new KafkaSettings(broker.bootstrapServers(), new Topics("bench."),
        KafkaSettings.DEFAULT_PARTITIONS, KafkaSettings.DEFAULT_LINGER_MS);
    TopicSetup.ensureTopics(kafka);
    int partitions = kafka.partitions();
    Vertx vertx = Telemetry.vertx();
    try {
      GatewayConfig base = GatewayConfig.defaults(kafka, 0).withLimits(ClientLimits.UNLIMITED);
      String a = "0-" + (partitions / 2 - 1);
      String b = (partitions / 2) + "-" + (partitions - 1);
      List<GatewayConfig> configs = List.of(base, base, inGroup(base, a), inGroup(base, b));
      List<GatewayVerticle> deployed = BenchStack.await(Launcher.deploy(vertx, Optional.empty(), configs));
      List<Gateway> gateways = List.of(new Gateway("broadcast", "all", deployed.get(0)),
          new Gateway("broadcast", "all", deployed.get(1)), new Gateway("group A", a, deployed.get(2)),
          new Gateway("group B", b, deployed.get(3)));

      long written = conversations * tokens;
      Progress.phase(String.format("groups: %,d token events of %,d conversations over %d partitions, read by 2 broadcast"
          + " gateways and 2 group gateways", written, conversations, partitions));
      ThroughputScenario.produce(kafka, "groups", conversations, tokens);
      // Every gateway has read what it will read: each broadcast one everything, the two groups everything between them.
      long deadline = System.currentTimeMillis() + 120_000;
      while (!(recordsRead(gateways.get(0)) >= written && recordsRead(gateways.get(1)) >= written
          && recordsRead(gateways.get(2)) + recordsRead(gateways.get(3)) >= written)) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("the gateways did not read the " + written + " events within 2 minutes");
        }
        Thread.sleep(200); // polling the gateways' counters, not waiting for a condition a test asserts
      }

      JsonArray rows = new JsonArray();
      System.out.printf("%n%-10s %-10s %16s %14s%n", "gateway", "partitions", "bytes fetched", "records read");
      for (Gateway g : gateways) {
        double bytes = bytesFetched(g);
        double records = recordsRead(g);
        System.out.printf("%-10s %-10s %,16.0f %,14.0f%n", g.role(), g.partitions(), bytes, records);
        rows.add(new JsonObject().put("role", g.role()).put("partitions", g.partitions()).put("bytesFetched", bytes)
            .put("recordsRead", records));
      }
      double broadcast = (bytesFetched(gateways.get(0)) + bytesFetched(gateways.get(1))) / 2;
      double group = (bytesFetched(gateways.get(2)) + bytesFetched(gateways.get(3))) / 2;
      System.out.printf("a group gateway fetched %.2f x a broadcast gateway's bytes%n", group / broadcast);
      JsonObject result = new JsonObject()
          .put("run", new JsonObject().put("date", Instant.now().toString()).put("command",
              "java -jar bench/target/bench.jar groups --conversations " + conversations + " --tokens " + tokens)
              .put("cores", Runtime.getRuntime().availableProcessors()).put("partitions", partitions))
          .put("events", written).put("gateways", rows)
          .put("broadcastBytesPerGateway", broadcast).put("groupBytesPerGateway", group).put("ratio", group / broadcast);
      Path out = Path.of("bench/results/groups-latest.json");
      Files.createDirectories(out.getParent());
      Files.writeString(out, result.encodePrettily() + "\n");
      System.out.println("wrote " + out);
    } finally {
      BenchStack.await(vertx.close());
      broker.close();
    }
  }

  private static void apart(Path jar, int conversations, long tokens) throws Exception {
    try (SoakProcesses processes = SoakProcesses.start(jar, true, Map.of())) {
      int partitions = KafkaSettings.DEFAULT_PARTITIONS;
      String a = "0-" + (partitions / 2 - 1);
      String b = (partitions / 2) + "-" + (partitions - 1);
      Map<String, Integer> ports = new java.util.LinkedHashMap<>();
      ports.put(SoakProcesses.GATEWAY, processes.gatewayPort());
      ports.put(SoakProcesses.GATEWAY + " A " + a, processes.launchGateway(SoakProcesses.GATEWAY + "-a",
          Map.of("TOKENRAIL_GATEWAY_PARTITIONS", a)));
      ports.put(SoakProcesses.GATEWAY + " B " + b, processes.launchGateway(SoakProcesses.GATEWAY + "-b",
          Map.of("TOKENRAIL_GATEWAY_PARTITIONS", b)));
      KafkaSettings kafka = new KafkaSettings(processes.bootstrapServers(), new Topics(Topics.DEFAULT_PREFIX),
          partitions, KafkaSettings.DEFAULT_LINGER_MS);
      List<SoakProcesses.Child> gateways = processes.children().stream()
          .filter(c -> c.name().startsWith(SoakProcesses.GATEWAY)).toList();
      for (int round = 0; round < 2; round++) { // a warm-up round, then the measured one
        String run = round == 0 ? "warmup" : "groups";
        long written = conversations * (round == 0 ? Math.max(10, tokens / 5) : tokens);
        Map<String, Double> recordsBefore = new java.util.LinkedHashMap<>();
        ports.forEach((name, port) -> recordsBefore.put(name, MetricsScrape.of(port).get("tokenrail_events_read_total")));
        Map<String, Double> cpuBefore = CpuTime.of(gateways);
        Progress.phase(String.format("groups, processes apart (%s): %,d token events of %,d conversations", run, written,
            conversations));
        ThroughputScenario.produce(kafka, run, conversations, written / conversations);
        long deadline = System.currentTimeMillis() + 120_000;
        while (true) {
          Map<String, Double> read = new java.util.LinkedHashMap<>();
          ports.forEach((name, port) -> read.put(name,
              MetricsScrape.of(port).get("tokenrail_events_read_total") - recordsBefore.get(name)));
          List<Double> counts = new ArrayList<>(read.values());
          if (counts.get(0) >= written && counts.get(1) + counts.get(2) >= written) {
            break;
          }
          if (System.currentTimeMillis() > deadline) {
            throw new IllegalStateException("the gateways did not read the " + written + " events within 2 minutes: " + read);
          }
          Thread.sleep(200); // polling the gateways' counters
        }
        Map<String, Double> cpuAfter = CpuTime.of(gateways);
        if (round == 0) {
          continue;
        }
        System.out.printf("%n%-22s %14s %16s%n", "gateway process", "records read", "CPU a record");
        JsonArray rows = new JsonArray();
        int i = 0;
        for (Map.Entry<String, Integer> e : ports.entrySet()) {
          String child = gateways.get(i++).name();
          double records = MetricsScrape.of(e.getValue()).get("tokenrail_events_read_total") - recordsBefore.get(e.getKey());
          double micros = (cpuAfter.get(child) - cpuBefore.get(child)) * 1e6 / records;
          System.out.printf("%-22s %,14.0f %13.2f us%n", e.getKey(), records, micros);
          rows.add(new JsonObject().put("gateway", e.getKey()).put("recordsRead", records).put("cpuMicrosPerRecord", micros));
        }
        JsonObject result = new JsonObject()
            .put("run", new JsonObject().put("date", Instant.now().toString()).put("command",
                "java -jar bench/target/bench.jar groups --apart true --conversations " + conversations + " --tokens " + tokens)
                .put("cores", Runtime.getRuntime().availableProcessors()).put("partitions", partitions))
            .put("events", written).put("gateways", rows);
        Path out = Path.of("bench/results/groups-apart-latest.json");
        Files.writeString(out, result.encodePrettily() + "\n");
        System.out.println("wrote " + out);
      }
    }
  }

  private static GatewayConfig inGroup(GatewayConfig base, String partitions) {
    return base.withGroups(new GroupSettings(Optional.of(PartitionRanges.parse(partitions)), List.of()));
  }

  /** {@code tokenrail.events.read} of the gateway, over its partitions. */
  private static double recordsRead(Gateway gateway) {
    return sum("tokenrail.events.read", "gateway", gateway.verticle().instanceId());
  }

  /** What the gateway's events reader fetched from Kafka: its consumer's {@code bytes-consumed-total}. */
  private static double bytesFetched(Gateway gateway) {
    // The consumer reports it overall and per topic; it reads one topic, so the largest series is the total.
    List<Double> series = new ArrayList<>();
    for (Meter meter : Telemetry.registry().getMeters()) {
      if (meter.getId().getName().equals("kafka.consumer.fetch.manager.bytes.consumed.total")
          && gateway.verticle().instanceId().equals(meter.getId().getTag("client.id"))) {
        for (Measurement m : meter.measure()) {
          series.add(m.getValue());
        }
      }
    }
    return series.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
  }

  private static double sum(String name, String tag, String value) {
    double total = 0;
    for (Meter meter : Telemetry.registry().getMeters()) {
      if (meter.getId().getName().equals(name) && value.equals(meter.getId().getTag(tag))) {
        for (Measurement m : meter.measure()) {
          total += m.getValue();
        }
      }
    }
    return total;
  }
}
