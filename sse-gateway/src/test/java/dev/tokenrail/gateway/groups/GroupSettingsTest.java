package dev.tokenrail.gateway.groups;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenrail.runtime.Env;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GroupSettingsTest {

  @Test
  void unsetIsBroadcastAndOwnsEveryPartition() {
    GroupSettings settings = GroupSettings.fromEnv(new Env(Map.of()));
    assertThat(settings.broadcast()).isTrue();
    assertThat(settings.owns(0)).isTrue();
    assertThat(settings.owns(11)).isTrue();
  }

  @Test
  void rangesAndRoutesAreReadAsOperatorsWriteThem() {
    GroupSettings settings = GroupSettings.fromEnv(new Env(Map.of(
        "TOKENRAIL_GATEWAY_PARTITIONS", " 0-2, 7 ",
        "TOKENRAIL_GATEWAY_ROUTES", "0-2,7=http://gw-a:8080/,3-6,8-11=/groups/b")));
    assertThat(settings.owned()).map(Object::toString).contains("0-2,7");
    assertThat(settings.owns(7)).isTrue();
    assertThat(settings.owns(3)).isFalse();
    assertThat(settings.routeTo(1)).contains("http://gw-a:8080");
    assertThat(settings.routeTo(9)).contains("/groups/b");
    assertThat(settings.routeTo(12)).isEmpty();
    assertThat(PartitionRanges.parse("3-6,8-11").toString()).isEqualTo("3-6,8-11");
    assertThat(PartitionRanges.parse("5,4,3").toString()).isEqualTo("3-5");
  }

  @Test
  void malformedSettingsFailStartupNamingTheVariable() {
    assertThatThrownBy(() -> GroupSettings.fromEnv(new Env(Map.of("TOKENRAIL_GATEWAY_PARTITIONS", "5-2"))))
        .hasMessageContaining("TOKENRAIL_GATEWAY_PARTITIONS");
    assertThatThrownBy(() -> GroupSettings.fromEnv(new Env(Map.of("TOKENRAIL_GATEWAY_PARTITIONS", "a-b"))))
        .hasMessageContaining("TOKENRAIL_GATEWAY_PARTITIONS");
    assertThatThrownBy(() -> GroupSettings.fromEnv(new Env(Map.of("TOKENRAIL_GATEWAY_PARTITIONS", "0-5",
        "TOKENRAIL_GATEWAY_ROUTES", "0-5=http://a:8080,5-11=http://b:8080")))).hasMessageContaining("two groups");
    assertThatThrownBy(() -> GroupSettings.fromEnv(new Env(Map.of("TOKENRAIL_GATEWAY_PARTITIONS", "0-5",
        "TOKENRAIL_GATEWAY_ROUTES", "0-5=ftp://a")))).hasMessageContaining("TOKENRAIL_GATEWAY_ROUTES");
    assertThatThrownBy(() -> GroupSettings.fromEnv(new Env(Map.of("TOKENRAIL_GATEWAY_PARTITIONS", "0-5",
        "TOKENRAIL_GATEWAY_ROUTES", "0-5=http://a:8080?x=1")))).hasMessageContaining("query");
    assertThatThrownBy(() -> GroupSettings.fromEnv(new Env(Map.of("TOKENRAIL_GATEWAY_PARTITIONS", "0-5",
        "TOKENRAIL_GATEWAY_ROUTES", "0-5=http://a:8080,6-11")))).hasMessageContaining("no base URL");
    assertThatThrownBy(() -> GroupSettings.fromEnv(new Env(Map.of("TOKENRAIL_GATEWAY_ROUTES", "0-5=http://a:8080"))))
        .hasMessageContaining("needs TOKENRAIL_GATEWAY_PARTITIONS");
  }

  @Test
  void partitionsTheTopicsDoNotHaveAreRefusedOnceTheCountIsKnown() {
    GroupSettings settings = new GroupSettings(Optional.of(PartitionRanges.parse("6-11")), java.util.List.of());
    settings.requireWithin(12);
    assertThatThrownBy(() -> settings.requireWithin(6)).hasMessageContaining("TOKENRAIL_GATEWAY_PARTITIONS=6-11")
        .hasMessageContaining("they have 6");
  }
}
