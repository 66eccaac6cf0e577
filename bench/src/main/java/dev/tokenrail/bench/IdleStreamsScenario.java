package dev.tokenrail.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Many idle streams across gateway processes sharing one broker — 50,000 by default, more than one process may
 * hold here (20,000 files) — and the memory each costs: per gateway process, what the streams added to its
 * proportional resident memory (its heap fixed and touched up front) plus to its live heap after a full
 * collection. The clients are {@link IdleStreamHolder} processes, one per gateway.
 *
 * <pre>java -jar bench/target/bench.jar idle [--streams 50000] [--gateways 4]</pre>
 */
final class IdleStreamsScenario {

  private static final List<String> GATEWAY_JVM = List.of("-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch", "-XX:+UseG1GC",
      "-XX:+ExitOnOutOfMemoryError");

  private IdleStreamsScenario() {
  }

  static void run(Options options) throws Exception {
    int streams = options.integer("streams", 50000);
    int gatewayCount = options.integer("gateways", 4);
    Path jar = options.jar();
    int perGateway = streams / gatewayCount;
    try (SoakProcesses processes = SoakProcesses.start(jar, false, Map.of(), GATEWAY_JVM)) {
      List<Integer> ports = new ArrayList<>(List.of(processes.gatewayPort()));
      for (int g = 1; g < gatewayCount; g++) {
        ports.add(processes.launchGateway(SoakProcesses.GATEWAY + "-" + (g + 1), Map.of()));
      }
      List<SoakProcesses.Child> gateways = processes.children().stream()
          .filter(c -> c.name().startsWith(SoakProcesses.GATEWAY)).toList();
      Progress.phase(String.format("idle streams: %,d across %d gateway processes on one broker", perGateway * gatewayCount,
          gatewayCount));
      long[] before = new long[gatewayCount];
      for (int g = 0; g < gatewayCount; g++) {
        before[g] = ServingMemory.pss(List.of(gateways.get(g).pid())) + ServingMemory.liveHeap(gateways.get(g).pid());
      }
      List<Process> holders = new ArrayList<>();
      try {
        for (int g = 0; g < gatewayCount; g++) {
          holders.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
              "-cp", ownJar(), IdleStreamHolder.class.getName(), Integer.toString(ports.get(g)),
              Integer.toString(perGateway), Integer.toString(g * perGateway)).redirectErrorStream(true).start());
        }
        for (int g = 0; g < gatewayCount; g++) {
          String line = new BufferedReader(new InputStreamReader(holders.get(g).getInputStream(), StandardCharsets.UTF_8))
              .readLine();
          if (line == null || !line.equals("HELD " + perGateway)) {
            throw new IllegalStateException("the clients of gateway " + (g + 1) + " said " + line);
          }
          Progress.line("gateway %d holds %,d idle streams", g + 1, perGateway);
        }
        JsonArray rows = new JsonArray();
        long total = 0;
        for (int g = 0; g < gatewayCount; g++) {
          long pid = gateways.get(g).pid();
          long added = ServingMemory.pss(List.of(pid)) + ServingMemory.liveHeap(pid) - before[g];
          total += added;
          Progress.done("gateway %d (pid %d): %,d streams, %,d bytes each", g + 1, pid, perGateway, added / perGateway);
          rows.add(new JsonObject().put("gateway", gateways.get(g).name()).put("streams", perGateway)
              .put("bytesPerStream", added / perGateway));
        }
        long held = (long) perGateway * gatewayCount;
        Progress.done("%,d idle streams across %d gateways: %,d bytes each (resident memory and live heap)", held,
            gatewayCount, total / held);
        JsonObject result = new JsonObject()
            .put("run", new JsonObject().put("date", Instant.now().toString())
                .put("command", "java -jar bench/target/bench.jar idle --streams " + streams + " --gateways " + gatewayCount)
                .put("cores", Runtime.getRuntime().availableProcessors()))
            .put("streams", held).put("gateways", rows).put("bytesPerStream", total / held);
        Path out = Path.of("bench/results/idle-latest.json");
        Files.writeString(out, result.encodePrettily() + "\n");
        System.out.println("wrote " + out);
      } finally {
        for (Process holder : holders) {
          holder.getOutputStream().close(); // lets it go
          holder.destroy();
        }
      }
    }
  }

  private static String ownJar() throws Exception {
    return Path.of(IdleStreamsScenario.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }
}
