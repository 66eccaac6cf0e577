package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenrail.gateway.GatewayConfig;
import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.gateway.http.HttpPolicy;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The AI SDK's own {@code useChat} ({@code web/use-chat}: {@code @ai-sdk/react} with {@code resume: true},
 * built with npm here) in a real headless Chromium, against two gateways with authentication on and the page
 * on an origin of its own: an answer streams and its rendered text is the transcript's; a reload mid-answer
 * resumes it and the text appears once; a reload served by the other gateway resumes it too; stop ends it
 * cancelled; the calculator's call and result show as tool parts. Skipped, saying why, without Chromium, its
 * driver or npm (CI installs them).
 */
@ExtendWith(SharedKafka.class)
class UseChatBrowserTest {

  private static final Path CHROMIUM = Path.of(System.getProperty("chromium.binary", "/usr/bin/chromium"));
  private static final Path CHROMEDRIVER = Path.of(System.getProperty("chromedriver.binary", "/usr/bin/chromedriver"));
  private static final Path PAGE = Path.of("..", "web", "use-chat").toAbsolutePath().normalize();
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  private static TokenrailStack stack;
  private static String gateway1;
  private static String gateway2;
  private static String pageOrigin;
  private static String token;
  private static ChromeDriver browser;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "Browser tests skipped: no " + CHROMIUM + " or " + CHROMEDRIVER + " (apt-get install chromium chromium-driver)");
    assumeTrue(commandWorks("npm", "--version"), "useChat browser test skipped: no npm to build web/use-chat");
    build();
    stack = TokenrailStack.withoutWorker(0);
    TokenrailStack.await(dev.tokenrail.launcher.Launcher.deploy(stack.vertx(), java.util.Optional.of(
        dev.tokenrail.worker.WorkerConfig.of(stack.kafka(), ModelSettings.demo(40, 0), 1_000)
            .withDrainTimeout(Duration.ZERO)), List.of()));
    // The page on an origin of its own, as a front end is: the gateways must allow it (CORS).
    Router router = Router.router(stack.vertx());
    router.route().handler(StaticHandler.create(io.vertx.ext.web.handler.FileSystemAccess.ROOT,
        PAGE.resolve("dist").toString()).setCachingEnabled(false));
    HttpServer page = TokenrailStack.await(stack.vertx().createHttpServer().requestHandler(router).listen(0));
    pageOrigin = "http://localhost:" + page.actualPort();
    HttpPolicy cors = new HttpPolicy(HttpPolicy.DEFAULT.maxTextBytes(), List.of(pageOrigin),
        HttpPolicy.DEFAULT.maxUrlBytes(), HttpPolicy.DEFAULT.maxHeaderBytes());
    GatewayConfig config = TokenrailStack.gatewayConfig(stack.kafka()).withAuth(TestTokens.SETTINGS).withHttp(cors);
    gateway1 = "http://localhost:" + TokenrailStack.startGateway(stack.vertx(), config).actualPort();
    gateway2 = "http://localhost:" + TokenrailStack.startGateway(stack.vertx(), config).actualPort();
    token = new TestTokens(stack.vertx()).forSubject("use-chat-user");

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--window-size=1280,900");
    browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().build(), options);
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void anAnswerStreamsAndItsRenderedTextIsTheTranscripts() {
    String chat = open(gateway1, null);
    send("#tokens=30 hello from useChat");
    String messageId = awaitAnswerEnded(chat);
    assertThat(renderedAnswers()).as("one answer").hasSize(1);
    assertThat(renderedText(messageId)).isEqualTo(transcriptAnswer(chat, messageId).getString("text")).isNotBlank();
    assertThat(answerElement(messageId).getAttribute("data-aborted")).isEqualTo("false");
  }

  @Test
  void aReloadMidAnswerResumesItAndTheTextAppearsOnce() {
    reloadMidAnswer(gateway1);
  }

  @Test
  void aReloadServedByTheOtherGatewayResumesToo() {
    reloadMidAnswer(gateway2);
  }

  @Test
  void stopEndsTheAnswerCancelled() {
    String chat = open(gateway1, null);
    send("#tokens=400 stop me");
    String messageId = awaitStreamingAnswer();
    // Conversations belong to the token's subject: another user's stop and resume find nothing of this one.
    String stranger = new TestTokens(stack.vertx()).forSubject("someone-else");
    assertThat(Http.postJson(gateway2 + "/api/chat/" + chat + "/stop", "{}", stranger).status()).isEqualTo(204);
    assertThat(Http.get(gateway2 + "/api/chat/" + chat + "/stream", stranger).status()).isEqualTo(204);
    assertThat(Http.postJson(gateway2 + "/api/chat/" + chat + "/stop", "{}").status()).as("no token").isEqualTo(401);
    assertThat(transcriptAnswer(chat, messageId).getString("status")).isEqualTo("pending");
    browser.findElement(By.cssSelector("[data-testid=stop]")).click();
    waitFor(() -> "cancelled".equals(transcriptAnswer(chat, messageId).getString("status")));
    waitFor(() -> "true".equals(answerElement(messageId).getAttribute("data-aborted")));
    // After a reload the page shows the answer as the transcript keeps it: cancelled, with what streamed.
    open(gateway1, chat);
    waitFor(() -> !browser.findElements(By.cssSelector("[data-testid=message][data-message-id='" + messageId + "']")).isEmpty());
    assertThat(answerElement(messageId).getAttribute("data-aborted")).isEqualTo("true");
    assertThat(renderedText(messageId)).isEqualTo(transcriptAnswer(chat, messageId).getString("text"));
  }

  @Test
  void theCalculatorsCallAndResultShowAsToolParts() {
    String chat = open(gateway1, null);
    send("calculate 2 ^ 8");
    String messageId = awaitAnswerEnded(chat);
    WebElement tool = answerElement(messageId).findElement(By.cssSelector("[data-testid=tool]"));
    assertThat(tool.getAttribute("data-tool-name")).isEqualTo("calculator");
    assertThat(tool.getAttribute("data-state")).isEqualTo("output-available");
    assertThat(tool.getText()).contains("2 ^ 8").contains("256");
    assertThat(renderedText(messageId)).isEqualTo(transcriptAnswer(chat, messageId).getString("text")).contains("256");
    // The page sends again when its own tools have outputs (sendAutomaticallyWhen): not for the worker's.
    assertThat(requestsMade()).as("one request: the worker ran its tool").isEqualTo(1);
  }

  /**
   * The page's own tool: the model calls it, the browser runs it (onToolCall, addToolOutput), useChat sends
   * the conversation again by itself, and the answer goes on in the same message; after a reload the transcript
   * shows the call with its output, then the answer.
   */
  @Test
  void thePagesOwnToolRunsInTheBrowserAndTheAnswerGoesOnInTheSameMessage() {
    String chat = open(gateway1, null);
    send("call uppercase {\"text\": \"hello tokenrail\"}");
    waitFor(() -> transcriptMessages(chat).size() == 4 && "done".equals(transcriptMessages(chat).getJsonObject(3)
        .getString("status")) && "ready".equals(browser.findElement(By.cssSelector("[data-testid=status]")).getText()));
    JsonArray transcript = transcriptMessages(chat);
    String callId = transcript.getJsonObject(1).getJsonArray("toolCalls").getJsonObject(0).getString("toolCallId");
    assertThat(transcript.getJsonObject(2).getJsonArray("toolResults").getJsonObject(0).getString("toolCallId"))
        .isEqualTo(callId);
    String answer = transcript.getJsonObject(3).getString("text");
    assertThat(answer).isEqualTo("The uppercase tool answered: {\"text\":\"HELLO TOKENRAIL\"}");
    assertThat(renderedAnswers()).as("one message: the answer went on in it").hasSize(1);
    WebElement tool = renderedAnswers().get(0).findElement(By.cssSelector("[data-testid=tool]"));
    assertThat(tool.getAttribute("data-tool-name")).isEqualTo("uppercase");
    assertThat(tool.getAttribute("data-state")).isEqualTo("output-available");
    assertThat(tool.getText()).contains("HELLO TOKENRAIL");
    assertThat(renderedAnswers().get(0).findElements(By.cssSelector("[data-testid=text]")).stream()
        .map(e -> e.getAttribute("textContent")).collect(Collectors.joining())).isEqualTo(answer);
    assertThat(requestsMade()).as("the message, then its tool's output: no more").isEqualTo(2);
    assertThat(browser.findElements(By.cssSelector("[data-testid=error]"))).isEmpty();

    open(gateway2, chat); // a reload: the transcript's view, the call with its output, then the answer
    waitFor(() -> renderedAnswers().size() == 2);
    WebElement loadedTool = renderedAnswers().get(0).findElement(By.cssSelector("[data-testid=tool]"));
    assertThat(loadedTool.getAttribute("data-state")).isEqualTo("output-available");
    assertThat(loadedTool.getText()).contains("HELLO TOKENRAIL");
    assertThat(renderedText(renderedAnswers().get(1).getAttribute("data-message-id"))).isEqualTo(answer);
    assertThat(browser.findElements(By.cssSelector("[data-testid=message][data-role=user]"))).hasSize(1);
  }

  @Test
  void theModelsThinkingShowsFoldedApartFromTheAnswer() {
    String chat = open(gateway1, null);
    send("#think #tokens=12 then answer");
    String messageId = awaitAnswerEnded(chat);
    WebElement reasoning = answerElement(messageId).findElement(By.cssSelector("[data-testid=reasoning]"));
    assertThat(reasoning.getAttribute("open")).as("folded").isNull();
    assertThat(reasoning.getAttribute("data-state")).isEqualTo("done");
    assertThat(reasoning.findElement(By.tagName("pre")).getAttribute("textContent"))
        .startsWith("The user wrote #think, so I think aloud first");
    assertThat(renderedText(messageId)).isEqualTo(transcriptAnswer(chat, messageId).getString("text"))
        .doesNotContain("think aloud");
  }

  /** A reload (to {@code reloadTo}) while the answer streams: the page resumes it; its text appears once. */
  private void reloadMidAnswer(String reloadTo) {
    String chat = open(gateway1, null);
    send("#tokens=400 a reload will come");
    String messageId = awaitStreamingAnswer();
    open(reloadTo, chat);
    waitFor(() -> browser.findElement(By.tagName("body")).getAttribute("data-resume") != null);
    assertThat(browser.findElement(By.tagName("body")).getAttribute("data-resume"))
        .as("the reload came mid-answer: resume found it").isEqualTo("resumed");
    String ended = awaitAnswerEnded(chat);
    assertThat(ended).isEqualTo(messageId);
    JsonObject answer = transcriptAnswer(chat, messageId);
    assertThat(answer.getString("status")).as("a reload is not a stop").isEqualTo("done");
    assertThat(renderedAnswers()).as("the answer once, not the history's and the resumed one").hasSize(1);
    assertThat(renderedText(messageId)).isEqualTo(answer.getString("text"));
    assertThat(browser.findElements(By.cssSelector("[data-testid=message][data-role=user]"))).hasSize(1);
  }

  /** Opens the page on a gateway: a new chat, or {@code chat}'s (a reload); returns the chat's id. */
  private static String open(String gateway, String chat) {
    browser.get(pageOrigin + "/?gateway=" + gateway + "&token=" + token + (chat == null ? "" : "&chat=" + chat));
    // The status shows once the history is loaded and useChat mounted (and asked to resume).
    waitFor(() -> !browser.findElements(By.cssSelector("[data-testid=status]")).isEmpty());
    String url = browser.getCurrentUrl();
    return url.substring(url.indexOf("chat=") + 5).split("&")[0];
  }

  private static void send(String text) {
    waitFor(() -> browser.findElement(By.cssSelector("[data-testid=send]")).isEnabled());
    browser.findElement(By.cssSelector("[data-testid=input]")).sendKeys(text);
    browser.findElement(By.cssSelector("[data-testid=send]")).click();
  }

  /** The streaming answer's id, once some of its text has rendered. */
  private static String awaitStreamingAnswer() {
    waitFor(() -> renderedAnswers().stream().anyMatch(a -> !a.getText().isBlank()));
    return renderedAnswers().get(renderedAnswers().size() - 1).getAttribute("data-message-id");
  }

  /** Waits until the page is idle again and the transcript has the last answer ended; returns its id. */
  private static String awaitAnswerEnded(String chat) {
    waitFor(() -> "ready".equals(browser.findElement(By.cssSelector("[data-testid=status]")).getText())
        && !renderedAnswers().isEmpty()
        && !"pending".equals(transcriptAnswer(chat, lastAnswerId()).getString("status")));
    assertThat(browser.findElements(By.cssSelector("[data-testid=error]"))).as("no error shown").isEmpty();
    return lastAnswerId();
  }

  private static String lastAnswerId() {
    List<WebElement> answers = renderedAnswers();
    return answers.get(answers.size() - 1).getAttribute("data-message-id");
  }

  private static List<WebElement> renderedAnswers() {
    return browser.findElements(By.cssSelector("[data-testid=message][data-role=assistant]"));
  }

  private static WebElement answerElement(String messageId) {
    return browser.findElement(By.cssSelector("[data-testid=message][data-message-id='" + messageId + "']"));
  }

  private static String renderedText(String messageId) {
    return answerElement(messageId).findElements(By.cssSelector("[data-testid=text]")).stream()
        .map(e -> e.getAttribute("textContent")).collect(Collectors.joining());
  }

  private static long requestsMade() {
    return ((Number) ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("return window.tokenrailRequests"))
        .longValue();
  }

  private static JsonArray transcriptMessages(String chat) {
    Http.Response r = Http.get(gateway1 + "/api/conversations/" + chat, token);
    return r.status() == 200 ? r.json().getJsonArray("messages") : new JsonArray();
  }

  private static JsonObject transcriptAnswer(String chat, String messageId) {
    return Http.get(gateway1 + "/api/conversations/" + chat, token).json().getJsonArray("messages").stream()
        .map(JsonObject.class::cast)
        .filter(m -> m.getString("role").equals("assistant") && m.getString("messageId").equals(messageId))
        .findFirst().orElse(new JsonObject().put("status", "unknown"));
  }

  private static void waitFor(BooleanSupplier condition) {
    new WebDriverWait(browser, PATIENCE).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(d -> condition.getAsBoolean());
  }

  /** {@code npm ci} (once) and {@code npm run build}: the page as its package.json and lock file say. */
  private static void build() throws IOException, InterruptedException {
    if (!Files.isDirectory(PAGE.resolve("node_modules"))) {
      run("npm", "ci", "--no-audit", "--no-fund");
    }
    run("npm", "run", "build");
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).directory(PAGE.toFile()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed in " + PAGE + ":\n" + output);
    }
  }

  private static boolean commandWorks(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
