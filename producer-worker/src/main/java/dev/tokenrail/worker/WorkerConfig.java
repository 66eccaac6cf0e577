package dev.tokenrail.worker;

import dev.tokenrail.model.Env;
import dev.tokenrail.model.KafkaSettings;
import dev.tokenrail.worker.model.ModelSettings;

/**
 * Everything a worker needs, read once in {@code main} (or built by a test).
 *
 * @param instances                 worker verticles per JVM; each is one member of the worker group
 * @param maxConcurrentGenerations  per verticle; beyond it the verticle pauses consumption
 */
public record WorkerConfig(KafkaSettings kafka, ModelSettings model, int instances, int maxConcurrentGenerations) {

  public static final String GROUP_ID = "tokenrail-workers";

  public static int defaultMaxConcurrentGenerations() {
    // A generation is mostly waiting on the model; memory and the provider's limits bound it, not CPU.
    return 256 * Runtime.getRuntime().availableProcessors();
  }

  public static WorkerConfig fromEnv(Env env, String defaultBootstrap) {
    return new WorkerConfig(
        KafkaSettings.fromEnv(env, defaultBootstrap),
        ModelSettings.fromEnv(env),
        env.intValue("TOKENRAIL_WORKER_INSTANCES", 1, 1, 64),
        env.intValue("TOKENRAIL_MAX_CONCURRENT_GENERATIONS", defaultMaxConcurrentGenerations(), 1, 100_000));
  }
}
