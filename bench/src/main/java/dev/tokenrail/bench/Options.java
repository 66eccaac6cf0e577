package dev.tokenrail.bench;

import java.nio.file.Path;
import java.util.Map;

/**
 * A scenario's {@code --name value} options, each read with its default: one place that parses them, and one place
 * for the defaults every scenario shares (the launcher jar, the results directory).
 */
record Options(Map<String, String> values) {

  Options {
    values = Map.copyOf(values);
  }

  int integer(String name, int otherwise) {
    String v = values.get(name);
    return v == null ? otherwise : Integer.parseInt(v);
  }

  long longValue(String name, long otherwise) {
    String v = values.get(name);
    return v == null ? otherwise : Long.parseLong(v);
  }

  double decimal(String name, double otherwise) {
    String v = values.get(name);
    return v == null ? otherwise : Double.parseDouble(v);
  }

  boolean flag(String name, boolean otherwise) {
    String v = values.get(name);
    return v == null ? otherwise : Boolean.parseBoolean(v);
  }

  /** {@code --jar}: the launcher jar the scenarios that start Tokenrail's processes run. */
  Path jar() {
    return Path.of(values.getOrDefault("jar", "launcher/target/tokenrail.jar"));
  }

  /** {@code --out}: where results are written. */
  Path out() {
    return Path.of(values.getOrDefault("out", "bench/results"));
  }
}
