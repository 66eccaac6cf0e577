package dev.tokenrail.bench;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The end of a full run, out of the clients' JVM: Tokenrail beside nginx + Nchan ({@link NchanScenario}), and the
 * whole pipeline with its processes apart ({@link ThroughputScenario#endToEndApart}); their figures and issue
 * 20's goals in the run's results.
 */
final class OutOfProcess {

  /**
   * The demo model's pace in the end-to-end runs: a token a microsecond, faster than the pipeline carries them, so
   * the figure is the pipeline's, not the model's (at 2,000 tokens/s a stream, 100 streams offered only 200,000).
   */
  static final int UNPACED = 1_000_000;

  private OutOfProcess() {
  }

  /**
   * The end of a full run: both servers beside each other, and the whole pipeline with its processes apart at
   * 100 and {@code streams} completions; skipped, saying so, without nginx's Nchan module or the launcher jar.
   */
  static void addToFullRun(JsonObject results, Path jar, int streams, long perStream, int idle, long e2eTokens)
      throws Exception {
    if (NchanServer.available() && java.nio.file.Files.isRegularFile(jar)) {
      // Out of this JVM: Tokenrail as the launcher jar's processes, nginx + Nchan as its own, this JVM the clients.
      Progress.phase("Tokenrail beside nginx + Nchan (a pub/sub SSE server in C), the same clients");
      JsonObject nchan = NchanScenario.compare(jar, streams, perStream, streams,
          perStream * 3, idle);
      results.getJsonObject("throughput")
          .put("tokenrailApartTokensPerSecond", nchan.getJsonObject("unicast").getLong("tokenrailTokensPerSecond"))
          .put("nchanTokensPerSecond", nchan.getJsonObject("unicast").getLong("nchanTokensPerSecond"));
      results.put("fanout", nchan.getJsonObject("fanout"));
      results.getJsonObject("connections")
          .put("idleStreamsMeasured", idle)
          .put("rssBytesPerConnection", nchan.getJsonObject("idle").getLong("rssBytesPerConnection"))
          .put("nchanRssBytesPerConnection", nchan.getJsonObject("idle").getLong("nchanRssBytesPerConnection"));
      Progress.phase("the whole pipeline, processes apart: 100 and " + streams + " unpaced completions");
      ThroughputScenario.Apart e100 = ThroughputScenario.endToEndApart(jar, 100, e2eTokens * 10, UNPACED);
      ThroughputScenario.Apart eMany = ThroughputScenario.endToEndApart(jar, streams, e2eTokens, UNPACED);
      results.put("endToEnd", new JsonObject()
          .put("tokensPerSecond100", Math.round(e100.tokensPerSecond()))
          .put("tokensPerSecond" + streams, Math.round(eMany.tokensPerSecond()))
          .put("relayApartTokensPerSecond", nchan.getJsonObject("unicast").getLong("tokenrailTokensPerSecond"))
          .put("cpuMicrosPerToken100", new JsonObject(new java.util.LinkedHashMap<>(e100.cpuMicrosPerToken())))
          .put("cpuMicrosPerToken" + streams, new JsonObject(new java.util.LinkedHashMap<>(eMany.cpuMicrosPerToken()))));
    } else {
      results.put("nchan", "not measured: nginx with Nchan (apt-get install nginx-light libnginx-mod-nchan) and "
          + jar + " are needed");
    }
  }

  /** Issue 20's goals against Nchan and for the whole pipeline, when the run measured them. */
  static void goals(JsonObject r, io.vertx.core.json.JsonArray goals) {
    JsonObject t = r.getJsonObject("throughput");
    JsonObject c = r.getJsonObject("connections");
    if (r.containsKey("fanout")) {
      double unicast = t.getDouble("tokenrailApartTokensPerSecond") / t.getDouble("nchanTokensPerSecond");
      BenchResults.goal(goals, "unicast vs nginx + Nchan (" + t.getInteger("streams") + " streams, processes apart)",
          ">= 3 x Nchan", String.format(Locale.ROOT, "%.2f x (%,d vs %,d tokens/s)", unicast,
              t.getLong("tokenrailApartTokensPerSecond"), t.getLong("nchanTokensPerSecond")), unicast >= 3);
      JsonObject f = r.getJsonObject("fanout");
      double fan = f.getDouble("tokenrailDeliveriesPerSecond") / f.getDouble("nchanDeliveriesPerSecond");
      BenchResults.goal(goals, "fan-out vs nginx + Nchan (1 conversation, " + f.getInteger("subscribers") + " subscribers)",
          ">= 1 x Nchan", String.format(Locale.ROOT, "%.2f x (%,d vs %,d deliveries/s)", fan,
              f.getLong("tokenrailDeliveriesPerSecond"), f.getLong("nchanDeliveriesPerSecond")), fan >= 1);
      double memory = c.getDouble("rssBytesPerConnection") / c.getDouble("nchanRssBytesPerConnection");
      BenchResults.goal(goals, "resident memory per idle stream vs Nchan (" + c.getInteger("idleStreamsMeasured") + " streams)",
          "<= 1.5 x Nchan", String.format(Locale.ROOT, "%.2f x (%,d vs %,d bytes)", memory,
              c.getLong("rssBytesPerConnection"), c.getLong("nchanRssBytesPerConnection")), memory <= 1.5);
      JsonObject e = r.getJsonObject("endToEnd");
      String many = "tokensPerSecond" + r.getJsonObject("run").getInteger("streams");
      double whole = e.getDouble(many) / e.getDouble("relayApartTokensPerSecond");
      BenchResults.goal(goals, "whole pipeline vs relay alone (" + r.getJsonObject("run").getInteger("streams")
              + " completions, processes apart)", ">= 0.8 x relay", String.format(Locale.ROOT,
              "%.2f x (%,d vs %,d tokens/s; 100 completions: %,d)", whole, e.getLong(many),
              e.getLong("relayApartTokensPerSecond"), e.getLong("tokensPerSecond100")), whole >= 0.8);
    }
  }
}
