package dev.tokenrail.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every Kafka client of a process takes the client settings of the environment, and none shows a secret. */
class KafkaSettingsTest {

  private static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required "
      + "username=\"tokenrail\" password=\"s3cr3t-from-env\";";

  @Test
  void clientPropertiesComeFromTheFileAndTheEnvironmentWhichWinsAndReachEveryKindOfClient(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, """
        # as Kafka's own tools take with --command-config
        security.protocol=SASL_PLAINTEXT
        sasl.mechanism=PLAIN
        ssl.truststore.location=/etc/kafka/truststore.jks
        ssl.truststore.password=s3cr3t-from-file
        """);
    KafkaSettings kafka = KafkaSettings.fromEnv(new Env(Map.of(
        "KAFKA_BOOTSTRAP_SERVERS", "broker-1:9093",
        "TOKENRAIL_KAFKA_PROPERTIES_FILE", file.toString(),
        "TOKENRAIL_KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_SSL",
        "TOKENRAIL_KAFKA_CLIENT_SASL_MECHANISM", "SCRAM-SHA-512",
        "TOKENRAIL_KAFKA_CLIENT_SASL_JAAS_CONFIG", JAAS,
        "TOKENRAIL_KAFKA_CLIENT_ACKS", "0")), "localhost:9092");

    for (Map<String, String> config : List.of(kafka.producerConfig("p"), kafka.consumerConfig("c"), kafka.adminConfig())) {
      assertThat(config)
          .containsEntry("bootstrap.servers", "broker-1:9093")
          .containsEntry("security.protocol", "SASL_SSL") // the environment wins over the file
          .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
          .containsEntry("sasl.jaas.config", JAAS)
          .containsEntry("ssl.truststore.location", "/etc/kafka/truststore.jks")
          .containsEntry("ssl.truststore.password", "s3cr3t-from-file");
    }
    assertThat(kafka.producerConfig("p")).as("Tokenrail's own choices stay: idempotent, acks=all")
        .containsEntry("acks", "all").containsEntry("enable.idempotence", "true");
    assertThat(kafka.toString()).contains("sasl.jaas.config", "ssl.truststore.password")
        .doesNotContain("s3cr3t-from-env").doesNotContain("s3cr3t-from-file");
  }

  @Test
  void withoutClientSettingsTheClientsTakeNone() {
    KafkaSettings kafka = KafkaSettings.fromEnv(new Env(Map.of("TOKENRAIL_KAFKA_CLIENT_", "nameless")), "localhost:9092");
    assertThat(kafka.clientProperties()).isEmpty();
    assertThat(kafka.consumerConfig("c")).doesNotContainKey("security.protocol");
  }

  @Test
  void aPropertiesFileThatCannotBeReadIsAConfigurationErrorNamingIt(@TempDir Path dir) {
    Path missing = dir.resolve("nope.properties");
    assertThatThrownBy(() -> KafkaSettings.fromEnv(new Env(Map.of("TOKENRAIL_KAFKA_PROPERTIES_FILE", missing.toString())),
        "localhost:9092"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("TOKENRAIL_KAFKA_PROPERTIES_FILE").hasMessageContaining(missing.toString());
  }
}
