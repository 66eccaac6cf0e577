package dev.tokenrail.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker in KRaft mode (one node, broker and controller roles) running inside this
 * JVM, built from Kafka's own server classes. Storage is formatted on first start and kept in
 * {@code dataDir} across restarts. Used by the launcher's local mode and by the test suites.
 *
 * <p>Besides its plaintext client listener it can take a {@link SecuredListener}: SASL_SSL with SCRAM, as a
 * managed cluster offers, for tests of the clients' security settings. The plaintext listener stays (the
 * broker's own and the test's administration use it).
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
  private static final int NODE_ID = 1;
  private static final String CONTROLLER_LISTENER = "CONTROLLER";

  private static final String SECURED_LISTENER = "SECURED";
  /** What SCRAM users of the secured listener authenticate with by default. */
  public static final String SCRAM_MECHANISM = "SCRAM-SHA-512";
  /** Every SASL mechanism the secured listener takes: the ones managed clusters offer. */
  public static final List<String> SASL_MECHANISMS = List.of("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN", "OAUTHBEARER");

  /**
   * A SASL_SSL listener: the broker's key and certificate in a PKCS12 key store, and the mechanisms of
   * {@link #SASL_MECHANISMS}. SCRAM users are added with {@link #addScramUser} once the broker runs; PLAIN
   * users are fixed at start ({@code plainUsers}: name → password), as the broker's JAAS line lists them;
   * OAUTHBEARER takes Kafka's unsecured tokens (the principal is the token's {@code sub}), which stand in
   * for an identity provider's here: what is tested is that the clients' settings reach every client.
   *
   * @param port 0 picks a free one
   */
  public record SecuredListener(int port, Path keyStore, String keyStorePassword, Map<String, String> plainUsers) {
    public SecuredListener {
      plainUsers = Map.copyOf(plainUsers);
    }

    public SecuredListener(int port, Path keyStore, String keyStorePassword) {
      this(port, keyStore, keyStorePassword, Map.of());
    }
  }

  private final KafkaRaftServer server;
  private final String bootstrapServers;
  private final Optional<String> securedBootstrapServers;
  private final Path dataDir;

  private EmbeddedKafkaBroker(KafkaRaftServer server, String bootstrapServers, Optional<String> securedBootstrapServers,
      Path dataDir) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
    this.securedBootstrapServers = securedBootstrapServers;
    this.dataDir = dataDir;
  }

  /**
   * Formats {@code dataDir} if it is new, starts the broker and returns once it answers clients.
   *
   * @param clientPort the client listener's port on localhost; 0 picks a free one
   * @param overrides  broker properties to set or replace (e.g. group timeouts in tests)
   */
  public static EmbeddedKafkaBroker start(Path dataDir, int clientPort, Map<String, String> overrides) {
    return start(dataDir, clientPort, overrides, Optional.empty());
  }

  /** As {@link #start(Path, int, Map)}, with a SASL_SSL listener besides the plaintext one. */
  public static EmbeddedKafkaBroker start(Path dataDir, int clientPort, Map<String, String> overrides,
      Optional<SecuredListener> secured) {
    long started = System.nanoTime();
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create Kafka data directory " + dataDir, e);
    }
    int port = clientPort == 0 ? freePort() : clientPort;
    // The controller listener is private to this JVM; any free port will do, on every start.
    int controllerPort = freePort();
    Properties props = brokerProperties(dataDir, port, controllerPort);
    Optional<String> securedBootstrap = secured.map(listener -> {
      int securedPort = listener.port() == 0 ? freePort() : listener.port();
      addSecuredListener(props, securedPort, listener);
      return "localhost:" + securedPort;
    });
    props.putAll(overrides);
    KafkaConfig config = KafkaConfig.fromProps(props, false);
    formatIfNew(dataDir);

    KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
    server.startup();
    String bootstrap = "localhost:" + port;
    awaitClientsAnswered(bootstrap);
    log.info("Embedded Kafka broker (KRaft) ready on {} in {} ms, data in {}",
        bootstrap, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), dataDir.toAbsolutePath());
    return new EmbeddedKafkaBroker(server, bootstrap, securedBootstrap, dataDir);
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The SASL_SSL listener's address, when the broker was started with one. */
  public Optional<String> securedBootstrapServers() {
    return securedBootstrapServers;
  }

  /** Creates (or changes the password of) a SCRAM user of the secured listener, for SCRAM-SHA-512 and -256. */
  public void addScramUser(String user, String password) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
      // One mechanism per request: Kafka refuses two changes of one user's credentials in the same one.
      for (ScramMechanism mechanism : List.of(ScramMechanism.SCRAM_SHA_512, ScramMechanism.SCRAM_SHA_256)) {
        admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
            new ScramCredentialInfo(mechanism, 4096), password))).all().get(30, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot add SCRAM user " + user, e);
    }
  }

  public Path dataDir() {
    return dataDir;
  }

  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
    log.info("Embedded Kafka broker stopped");
  }

  private static Properties brokerProperties(Path dataDir, int port, int controllerPort) {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", Integer.toString(NODE_ID));
    p.put("controller.quorum.voters", NODE_ID + "@localhost:" + controllerPort);
    p.put("listeners", "PLAINTEXT://localhost:" + port + "," + CONTROLLER_LISTENER + "://localhost:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://localhost:" + port);
    p.put("controller.listener.names", CONTROLLER_LISTENER);
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
    p.put("log.dirs", dataDir.toAbsolutePath().toString());
    // One node: every internal topic has one replica.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "5");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    // No group.consumer.* settings: they apply to the consumer group protocol (KIP-848), which the workers
    // do not use. Their classic-protocol consumers ask for a 10 s session themselves, which the broker's
    // group.min/max.session.timeout.ms (6 s to 30 min by default) allow.
    // Tokenrail creates its topics with the partition count it needs; a typo must not create one.
    p.put("auto.create.topics.enable", "false");
    return p;
  }

  private static void addSecuredListener(Properties p, int port, SecuredListener listener) {
    p.put("listeners", p.get("listeners") + "," + SECURED_LISTENER + "://localhost:" + port);
    p.put("advertised.listeners", p.get("advertised.listeners") + "," + SECURED_LISTENER + "://localhost:" + port);
    p.put("listener.security.protocol.map", p.get("listener.security.protocol.map") + "," + SECURED_LISTENER + ":SASL_SSL");
    String prefix = "listener.name." + SECURED_LISTENER.toLowerCase(Locale.ROOT) + ".";
    p.put(prefix + "sasl.enabled.mechanisms", String.join(",", SASL_MECHANISMS));
    for (String scram : List.of("scram-sha-512", "scram-sha-256")) {
      p.put(prefix + scram + ".sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    }
    StringBuilder plain = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
    listener.plainUsers().forEach((user, password) -> plain.append(" user_").append(user).append("=\"")
        .append(password).append('"'));
    p.put(prefix + "plain.sasl.jaas.config", plain.append(';').toString());
    // No validator named: the broker takes Kafka's unsecured JWS tokens.
    p.put(prefix + "oauthbearer.sasl.jaas.config",
        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;");
    p.put(prefix + "ssl.keystore.type", "PKCS12");
    p.put(prefix + "ssl.keystore.location", listener.keyStore().toAbsolutePath().toString());
    p.put(prefix + "ssl.keystore.password", listener.keyStorePassword());
    p.put(prefix + "ssl.key.password", listener.keyStorePassword());
  }

  private static void formatIfNew(Path dataDir) {
    if (Files.exists(dataDir.resolve("meta.properties"))) {
      return; // formatted by an earlier start: keep its cluster id and data
    }
    String dir = dataDir.toAbsolutePath().toString();
    try (PrintStream toLog = new PrintStream(new LineLogger(), true, StandardCharsets.UTF_8)) {
      new Formatter()
          .setPrintStream(toLog)
          .setNodeId(NODE_ID)
          .setClusterId(Uuid.randomUuid().toString())
          .setDirectories(List.of(dir))
          .setMetadataLogDirectory(dir)
          .setControllerListenerName(CONTROLLER_LISTENER)
          .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .run();
    } catch (Exception e) {
      throw new IllegalStateException("cannot format Kafka storage in " + dir, e);
    }
  }

  private static void awaitClientsAnswered(String bootstrap) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("embedded Kafka broker did not answer on " + bootstrap, e);
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sends the formatter's console output to the log, a line at a time. */
  private static final class LineLogger extends OutputStream {
    private final StringBuilder line = new StringBuilder();

    @Override
    public void write(int b) {
      if (b == '\n') {
        log.info(line.toString());
        line.setLength(0);
      } else {
        line.append((char) b);
      }
    }
  }
}
