package dev.tokenrail.e2e;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A runnable jar's {@code main} in a JVM of its own, with this test's classpath and the given environment —
 * as a user runs it — whose output is kept, line by line, for assertions. Closing it sends SIGTERM and
 * waits for the exit.
 */
final class JvmProcess implements AutoCloseable {

  private final String name;
  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Thread reader;

  private JvmProcess(String name, Process process) {
    this.name = name;
    this.process = process;
    this.reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          lines.add(line);
        }
      } catch (IOException ignored) {
        // the process ended
      }
    }, name + "-output");
    reader.setDaemon(true);
    reader.start();
  }

  static JvmProcess start(Class<?> main, Map<String, String> env) {
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), main.getName()).redirectErrorStream(true);
    builder.environment().putAll(env);
    try {
      return new JvmProcess(main.getSimpleName(), builder.start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A port free now, for a process to listen on (PORT=0 would leave the test guessing which). */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits until a line of output matches, failing with the output so far if the process exits first. */
  String awaitLine(Predicate<String> matches, Duration atMost) {
    await().atMost(atMost).until(() -> {
      if (!process.isAlive() && lines.stream().noneMatch(matches)) {
        throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + output());
      }
      return lines.stream().anyMatch(matches);
    });
    return lines.stream().filter(matches).findFirst().orElseThrow();
  }

  List<String> lines() {
    return List.copyOf(lines);
  }

  String output() {
    return String.join("\n", lines);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
      reader.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
