package dev.tokenrail.deploy;

import dev.tokenrail.runtime.Env;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which environment variables a role's code reads — learnt from the code, not from a list: its configuration is
 * built from an {@link Env} whose map notes every name asked for. Reads a {@code main} makes itself, outside the
 * configuration record, are found in that main's source.
 */
final class SettingsRead {

  /** {@code env.intValue("NAME", …)}, {@code env.string("NAME", …)}, {@code env.optional("NAME")}, … */
  private static final Pattern ENV_READ =
      Pattern.compile("\\benv\\s*\\.\\s*(?:intValue|longValue|string|optional)\\s*\\(\\s*\"([A-Z0-9_]+)\"");

  private SettingsRead() {
  }

  /**
   * The names {@code fromEnv} asks for, given {@code values} — once with them and once with none, since a value
   * may decide what else is read — plus the names read in {@code mainSource}.
   */
  static Set<String> names(Function<Env, ?> fromEnv, Map<String, String> values, Path mainSource) {
    Set<String> read = new TreeSet<>();
    for (Map<String, String> given : java.util.List.of(values, Map.<String, String>of())) {
      RecordingMap vars = new RecordingMap(given);
      fromEnv.apply(new Env(vars));
      read.addAll(vars.asked);
    }
    read.addAll(readIn(mainSource));
    return read;
  }

  /** The names a source file reads through an {@code env} variable. */
  static Set<String> readIn(Path source) {
    try {
      Matcher m = ENV_READ.matcher(Files.readString(source, StandardCharsets.UTF_8));
      Set<String> names = new TreeSet<>();
      while (m.find()) {
        names.add(m.group(1));
      }
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A map that notes every name it is asked for. */
  private static final class RecordingMap extends HashMap<String, String> {

    private final Set<String> asked = new TreeSet<>();

    RecordingMap(Map<String, String> values) {
      super(values);
    }

    @Override
    public String get(Object key) {
      asked.add((String) key);
      return super.get(key);
    }

    @Override
    public String getOrDefault(Object key, String defaultValue) {
      asked.add((String) key);
      return super.getOrDefault(key, defaultValue);
    }

    @Override
    public boolean containsKey(Object key) {
      asked.add((String) key);
      return super.containsKey(key);
    }
  }
}
