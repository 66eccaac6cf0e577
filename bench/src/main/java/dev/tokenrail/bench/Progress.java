package dev.tokenrail.bench;

/** What the benchmark prints while it runs: a timestamped line per step, so a long run shows where it is. */
final class Progress {

  private static final long STARTED = System.nanoTime();

  private Progress() {
  }

  static void line(String format, Object... args) {
    System.out.printf("[%6.1f s]   %s%n", (System.nanoTime() - STARTED) / 1e9, String.format(format, args));
  }

  static void done(String format, Object... args) {
    System.out.printf("[%6.1f s] = %s%n", (System.nanoTime() - STARTED) / 1e9, String.format(format, args));
  }

  static void phase(String name) {
    System.out.printf("%n[%6.1f s] == %s%n", (System.nanoTime() - STARTED) / 1e9, name);
  }
}
