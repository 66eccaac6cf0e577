package dev.tokenrail.e2e;

import dev.tokenrail.kafka.EmbeddedKafkaBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real embedded KRaft broker for the whole test suite: started by the first class that asks, closed
 * (and its data deleted) when the suite ends. Classes isolate themselves with their own topic prefix.
 */
public final class SharedKafka implements BeforeAllCallback {

  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedKafka.class);
  private static volatile EmbeddedKafkaBroker broker;

  @Override
  public void beforeAll(ExtensionContext context) {
    broker = context.getRoot().getStore(NAMESPACE)
        .computeIfAbsent("broker", key -> Resource.start(), Resource.class).broker();
  }

  public static String bootstrapServers() {
    if (broker == null) {
      throw new IllegalStateException("annotate the test class with @ExtendWith(SharedKafka.class)");
    }
    return broker.bootstrapServers();
  }

  private record Resource(EmbeddedKafkaBroker broker, Path dataDir) implements AutoCloseable {

    static Resource start() {
      try {
        Path dir = Files.createTempDirectory("tokenrail-test-kafka");
        return new Resource(EmbeddedKafkaBroker.start(dir, 0, Map.of()), dir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() throws IOException {
      broker.close();
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
