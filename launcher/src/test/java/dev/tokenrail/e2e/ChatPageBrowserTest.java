package dev.tokenrail.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenrail.gateway.GatewayVerticle;
import dev.tokenrail.testkit.Http;
import dev.tokenrail.worker.WorkerConfig;
import dev.tokenrail.worker.model.ModelSettings;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The chat page in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, driven
 * by Selenium) against a gateway with authentication on: the token field, a streamed answer rendered as
 * Markdown with model markup kept as text, Stop, a reload mid-answer that continues without repeating
 * text, a tool card, an error, a gateway restart shown as "reconnecting…", a worker failover whose new
 * attempt replaces the old one, and a phone-sized screen. Screenshots go
 * to {@code launcher/target/screenshots/}. Skipped, saying why, where Chromium or its driver is missing.
 */
@ExtendWith(SharedKafka.class)
class ChatPageBrowserTest {

  private static final Path CHROMIUM = Path.of(System.getProperty("chromium.binary", "/usr/bin/chromium"));
  private static final Path CHROMEDRIVER = Path.of(System.getProperty("chromedriver.binary", "/usr/bin/chromedriver"));
  private static final Path SCREENSHOTS = Path.of("target", "screenshots");
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  private static TokenrailStack stack;
  private static GatewayVerticle gateway;
  private static String workerDeployment;
  private static int port;
  private static String base;
  private static String token;
  private static ChromeDriver browser;

  @BeforeAll
  static void start() throws IOException {
    assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "Browser tests skipped: no " + CHROMIUM + " or " + CHROMEDRIVER + " (apt-get install chromium chromium-driver)");
    stack = TokenrailStack.withoutWorker(0);
    workerDeployment = startWorker();
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort(); // a fixed port, so a restarted gateway is the same address to the page
    }
    gateway = startGateway();
    base = "http://localhost:" + port;
    token = new TestTokens(stack.vertx()).forSubject("browser-user");
    Files.createDirectories(SCREENSHOTS);

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--window-size=1280,900");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
    browser = new ChromeDriver(service, options);
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

  @BeforeEach
  void freshWindow() {
    browser.manage().window().setSize(new Dimension(1280, 900));
  }

  @Test
  void theTokenFieldAppearsWhenTheGatewayWantsOneAndTheConversationConnectsWithIt() {
    browser.get(base + "/");
    ((JavascriptExecutor) browser).executeScript("localStorage.clear()");
    browser.navigate().refresh();
    waitFor(() -> statusIs("token-needed"));
    assertThat(browser.findElement(By.id("auth")).isDisplayed()).isTrue();
    screenshot("token-needed");
    WebElement field = browser.findElement(By.id("token"));
    field.sendKeys(token, Keys.ENTER);
    waitFor(() -> statusIs("connected"));
    assertThat(browser.findElement(By.id("auth")).isDisplayed()).isFalse();
  }

  @Test
  void aMessageStreamsAndItsMarkdownRendersWithModelMarkupKeptAsText() {
    newChat();
    String plain = send("#tokens=30 hello there");
    WebElement answer = awaitStatus(plain, "done");
    JsonObject turn = transcriptTurn(plain);
    assertThat(answer.getAttribute("data-text")).isEqualTo(turn.getString("text")).isNotBlank();
    assertThat(answer.findElement(By.className("body")).getText()).isEqualTo(turn.getString("text"));
    screenshot("streamed-answer");

    String markdown = send("#markdown please");
    WebElement rendered = awaitStatus(markdown, "done").findElement(By.className("body"));
    assertThat(rendered.findElements(By.cssSelector("h3, h4"))).hasSize(1);
    assertThat(rendered.findElement(By.tagName("strong")).getText()).isEqualTo("Markdown");
    assertThat(rendered.findElement(By.tagName("em")).getText()).isEqualTo("emphasis");
    assertThat(rendered.findElement(By.cssSelector("pre code")).getText()).isEqualTo("record Token(String text) {}");
    assertThat(rendered.findElements(By.cssSelector("ul li"))).hasSize(2);
    assertThat(rendered.findElement(By.cssSelector("a")).getAttribute("href")).isEqualTo("https://kafka.apache.org/");
    assertThat(rendered.findElements(By.cssSelector("img, script, [onerror]"))).as("markup from the model").isEmpty();
    assertThat(rendered.findElement(By.tagName("blockquote")).getText())
        .contains("<img src=x onerror=alert(1)>").contains("<script>alert(2)</script>");
    screenshot("markdown");
  }

  @Test
  void stopEndsTheAnswerAndKeepsWhatStreamed() {
    newChat();
    String messageId = send("#tokens=3000 a long answer to stop");
    waitFor(() -> answerText(messageId).split(" ").length > 5);
    browser.findElement(By.id("stop")).click();
    WebElement answer = awaitStatus(messageId, "cancelled");
    assertThat(browser.findElement(By.id("stop")).isDisplayed()).isFalse();
    JsonObject turn = transcriptTurn(messageId);
    assertThat(turn.getString("status")).isEqualTo("cancelled");
    assertThat(answer.getAttribute("data-text")).isEqualTo(turn.getString("text"));
    assertThat(answer.findElement(By.className("meta")).getText()).endsWith("stopped");
    screenshot("stopped");
  }

  @Test
  void aReloadMidAnswerContinuesWithoutRepeatingText() {
    newChat();
    String messageId = send("#tokens=160 an answer to reload during");
    waitFor(() -> answerText(messageId).split(" ").length > 20);
    browser.navigate().refresh();
    waitFor(() -> statusIs("connected"));
    WebElement answer = awaitStatus(messageId, "done");
    String expected = transcriptTurn(messageId).getString("text");
    assertThat(answer.getAttribute("data-text")).isEqualTo(expected);
    assertThat(browser.findElements(By.cssSelector(".assistant[data-message-id='" + messageId + "']"))).hasSize(1);
    assertThat(browser.findElements(By.cssSelector(".msg.user"))).extracting(WebElement::getText)
        .containsExactly("#tokens=160 an answer to reload during");
    screenshot("after-reload");
  }

  @Test
  void aToolCallShowsAsACollapsibleCard() {
    newChat();
    String messageId = send("calculate (2+3)*4");
    WebElement answer = awaitStatus(messageId, "done");
    WebElement card = answer.findElement(By.cssSelector("details.tool"));
    assertThat(card.findElement(By.tagName("summary")).getText()).contains("calculator").contains("(2+3)*4");
    card.findElement(By.tagName("summary")).click();
    assertThat(card.findElement(By.tagName("pre")).getText()).isEqualTo("20");
    assertThat(answer.getAttribute("data-text")).contains("20");
    screenshot("tool-card");
  }

  /** The model's thinking shows folded above the answer, and is not part of it. */
  @Test
  void reasoningShowsFoldedApartFromTheAnswer() {
    newChat();
    String messageId = send("#think #tokens=12 then answer");
    WebElement answer = awaitStatus(messageId, "done");
    WebElement folded = answer.findElement(By.cssSelector("details.thinking"));
    assertThat(folded.getAttribute("open")).as("folded").isNull();
    assertThat(folded.findElement(By.tagName("summary")).getText()).isEqualTo("thinking");
    folded.findElement(By.tagName("summary")).click();
    String thought = folded.findElement(By.tagName("pre")).getText();
    assertThat(thought).startsWith("The user wrote #think, so I think aloud first");
    assertThat(answer.getAttribute("data-text")).isEqualTo(transcriptTurn(messageId).getString("text"))
        .doesNotContain("think aloud");
    screenshot("thinking");
  }

  @Test
  void aFailedAnswerShowsItsErrorOnTheAnswer() {
    newChat();
    String messageId = send("#tokens=999999 more than the demo model allows");
    WebElement answer = awaitStatus(messageId, "error");
    assertThat(answer.findElement(By.className("meta")).getText())
        .isEqualTo("Error: " + errorEventMessage(messageId));
    assertThat(browser.findElement(By.id("stop")).isDisplayed()).isFalse();
    screenshot("error");
  }

  /** The gateway goes away mid-answer: the page says so, and continues the answer from a new gateway. */
  @Test
  void aGatewayRestartShowsReconnectingAndTheAnswerContinues() {
    newChat();
    String messageId = send("#tokens=200 an answer across a gateway restart");
    waitFor(() -> answerText(messageId).split(" ").length > 10);
    TokenrailStack.await(stack.vertx().undeploy(gateway.deploymentID()));
    waitFor(() -> statusIs("reconnecting") || statusIs("failed"));
    screenshot("reconnecting");
    gateway = startGateway();
    WebElement answer = awaitStatus(messageId, "done");
    assertThat(answer.getAttribute("data-text")).isEqualTo(transcriptTurn(messageId).getString("text"));
    assertThat(statusIs("connected")).isTrue();
  }

  @Test
  void onAPhoneTheConversationListIsBehindTheMenuButton() {
    newChat();
    String messageId = send("#tokens=12 on a small screen");
    awaitStatus(messageId, "done");
    browser.manage().window().setSize(new Dimension(390, 844));
    WebElement list = browser.findElement(By.id("conversations"));
    waitFor(() -> !list.isDisplayed());
    screenshot("phone");
    browser.findElement(By.id("menu")).click();
    waitFor(list::isDisplayed);
    assertThat(list.findElements(By.cssSelector("button[aria-current='true']"))).singleElement()
        .satisfies(b -> assertThat(b.getText()).isEqualTo("#tokens=12 on a small screen"));
    screenshot("phone-menu");
  }

  /**
   * The worker answering goes away mid-answer and another takes over: the page replaces the first
   * attempt's text with the new attempt's, in place — one answer, equal to the transcript's.
   */
  @Test
  void anAnswerThatFailsOverIsReplacedByTheNewAttempt() {
    newChat();
    String messageId = send("#tokens=200 an answer across a worker failover");
    waitFor(() -> answerText(messageId).split(" ").length > 10);
    String first = workerDeployment;
    workerDeployment = startWorker();
    TokenrailStack.await(stack.vertx().undeploy(first));
    WebElement answer = awaitStatus(messageId, "done");
    assertThat(answer.findElement(By.className("meta")).getText()).contains("attempt 2");
    assertThat(answer.getAttribute("data-text")).isEqualTo(transcriptTurn(messageId).getString("text"));
    assertThat(browser.findElements(By.cssSelector(".assistant[data-message-id='" + messageId + "']"))).hasSize(1);
    screenshot("failover");
  }

  // ---- helpers ----

  /** A worker (40 tokens a second: slow enough to press Stop or reload mid-answer, as a person would). */
  private static String startWorker() {
    return TokenrailStack.await(stack.vertx().deployVerticle(new dev.tokenrail.worker.WorkerVerticle(
        WorkerConfig.of(stack.kafka(), ModelSettings.demo(40, 50), 1_000).withDrainTimeout(Duration.ZERO))));
  }

  private static GatewayVerticle startGateway() {
    return TokenrailStack.startGateway(stack.vertx(),
        dev.tokenrail.gateway.GatewayConfig.defaults(stack.kafka(), port).withAuth(TestTokens.SETTINGS));
  }

  /** Loads the page with the token set and starts a new conversation. */
  private static void newChat() {
    browser.get(base + "/");
    ((JavascriptExecutor) browser).executeScript("localStorage.setItem('tokenrail.token', arguments[0])", token);
    browser.navigate().refresh();
    waitFor(() -> statusIs("connected"));
    browser.findElement(By.id("new-chat")).click();
    waitFor(() -> statusIs("connected"));
  }

  /** Types and sends a message; returns the id of the answer that appears for it. */
  private static String send(String text) {
    int before = browser.findElements(By.cssSelector(".msg.assistant[data-message-id]")).size();
    browser.findElement(By.id("text")).sendKeys(text, Keys.ENTER);
    waitFor(() -> browser.findElements(By.cssSelector(".msg.assistant[data-message-id]")).size() > before);
    List<WebElement> answers = browser.findElements(By.cssSelector(".msg.assistant[data-message-id]"));
    return answers.get(answers.size() - 1).getAttribute("data-message-id");
  }

  private static WebElement awaitStatus(String messageId, String status) {
    By answer = By.cssSelector(".assistant[data-message-id='" + messageId + "'][data-status='" + status + "']");
    waitFor(() -> !browser.findElements(answer).isEmpty());
    return browser.findElement(answer);
  }

  private static String answerText(String messageId) {
    List<WebElement> found = browser.findElements(By.cssSelector(".assistant[data-message-id='" + messageId + "']"));
    return found.isEmpty() ? "" : String.valueOf(found.get(0).getAttribute("data-text"));
  }

  private static boolean statusIs(String state) {
    return state.equals(browser.findElement(By.id("status")).getAttribute("data-state"));
  }

  /** Waits for the page to get there; if it doesn't, the failure says where the page was and keeps a screenshot. */
  private static void waitFor(java.util.function.BooleanSupplier condition) {
    try {
      new WebDriverWait(browser, PATIENCE).until(d -> condition.getAsBoolean());
    } catch (org.openqa.selenium.TimeoutException e) {
      screenshot("failure-" + System.currentTimeMillis());
      throw new AssertionError("The page did not get there; its status says '"
          + browser.findElement(By.id("status")).getText() + "'", e);
    }
  }

  /** The turn as the workers remembered it: what the page shows must be exactly this. */
  private static JsonObject transcriptTurn(String messageId) {
    String conversation = String.valueOf(((JavascriptExecutor) browser).executeScript("return conversation"));
    Http.Response r = Http.send(HttpRequest.newBuilder(URI.create(base + "/api/conversations/" + conversation))
        .header("Authorization", "Bearer " + token).build());
    assertThat(r.status()).isEqualTo(200);
    return r.json().getJsonArray("messages").stream().map(JsonObject.class::cast)
        .filter(m -> messageId.equals(m.getString("messageId")) && "assistant".equals(m.getString("role")))
        .findFirst().orElseThrow(() -> new AssertionError("no answer " + messageId + " in " + r.body()));
  }

  /** The message the answer's error event carried, read by replaying the message on a stream of its own. */
  private static String errorEventMessage(String messageId) {
    String conversation = String.valueOf(((JavascriptExecutor) browser).executeScript("return conversation"));
    try (dev.tokenrail.testkit.SseClient replay = dev.tokenrail.testkit.SseClient.connect(
        base + "/api/conversations/" + conversation + "/events?messageId=" + messageId,
        java.util.Map.of("Authorization", "Bearer " + token))) {
      return replay.awaitEvent(e -> e.type().equals("error"), PATIENCE).stream()
          .filter(e -> e.type().equals("error")).findFirst().orElseThrow().data().getString("message");
    }
  }

  private static void screenshot(String name) {
    File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
    try {
      Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
