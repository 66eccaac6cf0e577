package dev.tokenrail.worker.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every way a tool call can go wrong ends as an error result the model reads, never as a failure. */
class ToolboxTest {

  private static final CountDownLatch NEVER = new CountDownLatch(1);
  private static Vertx vertx;
  private static Toolbox toolbox;

  /** A tool that blocks until the test ends: only the toolbox's timeout answers it. */
  private static final Tool STUCK = new Tool() {
    @Override
    public ToolSpecification specification() {
      return ToolSpecification.builder().name("stuck").description("never answers").build();
    }

    @Override
    public String execute(JsonObject arguments) throws ToolException {
      try {
        NEVER.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "late";
    }
  };

  /** A tool with a bug: its exception text must not reach the model. */
  private static final Tool BROKEN = new Tool() {
    @Override
    public ToolSpecification specification() {
      return ToolSpecification.builder().name("broken").description("throws").build();
    }

    @Override
    public String execute(JsonObject arguments) {
      throw new IllegalStateException("secret internal detail");
    }
  };

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    WorkerExecutor executor = vertx.createSharedWorkerExecutor("toolbox-test", 4);
    Clock fixed = Clock.fixed(Instant.parse("2026-11-25T12:34:56Z"), ZoneOffset.UTC);
    toolbox = new Toolbox(List.of(new CurrentTimeTool(fixed), new CalculatorTool(), STUCK, BROKEN), executor,
        Duration.ofMillis(300));
  }

  @AfterAll
  static void stop() throws Exception {
    NEVER.countDown();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void theCalculatorAnswersAndTheClockTellsTimeInAZone() throws Exception {
    assertThat(run("calculator", "{\"expression\":\"(2+3)*4\"}")).isEqualTo(new Toolbox.Outcome("20", false));
    assertThat(run("current_time", "{}")).isEqualTo(new Toolbox.Outcome("2026-11-25T12:34:56Z", false));
    assertThat(run("current_time", "{\"timezone\":\"Asia/Tokyo\"}"))
        .isEqualTo(new Toolbox.Outcome("2026-11-25T21:34:56+09:00[Asia/Tokyo]", false));
  }

  @Test
  void unknownToolsBadArgumentsAndFailingToolsAreErrorResults() throws Exception {
    assertThat(run("weather", "{}")).satisfies(o -> {
      assertThat(o.isError()).isTrue();
      assertThat(o.result()).contains("no tool named 'weather'").contains("calculator");
    });
    assertThat(run("calculator", "{not json")).isEqualTo(new Toolbox.Outcome("The arguments are not a JSON object.", true));
    assertThat(run("calculator", "[1, 2]")).isEqualTo(new Toolbox.Outcome("The arguments are not a JSON object.", true));
    assertThat(run("calculator", "{}").isError()).isTrue();
    assertThat(run("calculator", "{\"expression\":\"1/0\"}").result()).contains("Division by zero");
    assertThat(run("current_time", "{\"timezone\":\"Mars/Olympus\"}").result()).contains("Unknown time zone");
    assertThat(run("broken", "{}")).isEqualTo(new Toolbox.Outcome("The tool failed unexpectedly.", true));
  }

  @Test
  void aToolThatDoesNotAnswerInTimeIsAnErrorResult() throws Exception {
    assertThat(run("stuck", "{}")).isEqualTo(new Toolbox.Outcome("The tool did not answer within 300 ms.", true));
  }

  private static Toolbox.Outcome run(String name, String arguments) throws Exception {
    ToolExecutionRequest call = ToolExecutionRequest.builder().id("call-1").name(name).arguments(arguments).build();
    return toolbox.run(call).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
