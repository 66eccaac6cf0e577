package dev.tokenrail.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CrossOriginTest {

  @Test
  void anOriginNamingTheHostTheRequestWentToIsTheGatewaysOwn() {
    assertThat(CrossOrigin.isSameOrigin("http://localhost:8080", "localhost:8080")).isTrue();
    assertThat(CrossOrigin.isSameOrigin("https://chat.example.com", "chat.example.com")).isTrue();
    assertThat(CrossOrigin.isSameOrigin("https://Chat.Example.com", "chat.example.com:443")).as("case, default port")
        .isTrue();
    assertThat(CrossOrigin.isSameOrigin("http://gw.internal", "gw.internal:80")).isTrue();
  }

  @Test
  void anyOtherOriginIsAnotherSite() {
    assertThat(CrossOrigin.isSameOrigin("https://evil.example", "chat.example.com")).isFalse();
    assertThat(CrossOrigin.isSameOrigin("http://localhost:8081", "localhost:8080")).as("another port").isFalse();
    assertThat(CrossOrigin.isSameOrigin("http://localhost:8080", "localhost")).as("a port the host lacks").isFalse();
    assertThat(CrossOrigin.isSameOrigin("http://chat.example.com.evil.example", "chat.example.com")).isFalse();
    assertThat(CrossOrigin.isSameOrigin("null", "chat.example.com")).as("an opaque origin").isFalse();
    assertThat(CrossOrigin.isSameOrigin("http://localhost:8080", null)).isFalse();
    assertThat(CrossOrigin.isSameOrigin("not a url at all", "localhost:8080")).isFalse();
  }
}
