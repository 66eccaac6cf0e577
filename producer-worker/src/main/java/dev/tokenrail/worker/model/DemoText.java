package dev.tokenrail.worker.model;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import java.util.List;
import java.util.SplittableRandom;

/** What the {@link DemoStreamingChatModel} says: its canned texts, its vocabulary, and how they become tokens. */
final class DemoText {

  private DemoText() {
  }

  static final String THINKING = "The user wrote #think, so I think aloud first: what do they ask, what do I"
      + " know, and what is the shortest true answer? Now I answer.";
  private static final String INTRO =
      "I am the Tokenrail demo model, a stand-in for a real LLM: my words are made up, but they stream like the real thing.";
  /** What {@code #markdown} answers: every construct the chat page renders, and markup that must stay text. */
  static final String MARKDOWN_SAMPLE = "## Markdown, safely\n"
      + "The demo can answer in **Markdown**: *emphasis*, `inline code` and a [link to Kafka](https://kafka.apache.org).\n\n"
      + "- ordered events\n- replay after a reconnect\n\n"
      + "```java\nrecord Token(String text) {}\n```\n\n"
      + "> Markup from a model stays text: <img src=x onerror=alert(1)> <script>alert(2)</script>";
  private static final String[] VOCABULARY = (
      "kafka stream token event log partition offset gateway worker replay order buffer queue browser client "
      + "message answer model latency throughput record topic broker consumer producer resume reconnect "
      + "durable scalable simple fast calm bright quiet steady river bridge signal window thread rail train "
      + "station journey light paper garden window mountain ocean cloud forest morning evening").split(" ");

  /** What the demo says once its tools have answered: each result, plainly. */
  static String toolResultsSentence(List<ChatMessage> messages) {
    List<String> sentences = new java.util.ArrayList<>();
    for (int i = messages.size() - 1; i >= 0 && messages.get(i) instanceof ToolExecutionResultMessage result; i--) {
      boolean failed = Boolean.TRUE.equals(result.isError());
      String sentence = failed ? "The " + result.toolName() + " tool could not help: " + result.text()
          : switch (result.toolName()) {
            case "calculator" -> "The calculator says the result is " + result.text() + ".";
            case "current_time" -> "The current time is " + result.text() + ".";
            default -> "The " + result.toolName() + " tool answered: " + result.text();
          };
      sentences.add(0, sentence);
    }
    return String.join(" ", sentences);
  }

  /** Splits text into tokens of one word each, every word after the first with its leading space. */
  static List<String> wordsOf(String text) {
    String[] words = text.split(" ");
    List<String> tokens = new java.util.ArrayList<>();
    for (int i = 0; i < words.length; i++) {
      tokens.add(i == 0 ? words[i] : " " + words[i]);
    }
    return tokens;
  }

  /** The answer's words: the introduction, then sentences of vocabulary words, each token with its space. */
  static final class Words {
    private static final String[] INTRO_WORDS = INTRO.split(" ");
    private final SplittableRandom random;
    private int index;
    private int sentenceLeft;

    Words(long seed) {
      this.random = new SplittableRandom(seed);
    }

    String next() {
      int i = index++;
      if (i < INTRO_WORDS.length) {
        return i == 0 ? INTRO_WORDS[0] : " " + INTRO_WORDS[i];
      }
      String word = VOCABULARY[random.nextInt(VOCABULARY.length)];
      boolean first = sentenceLeft == 0;
      if (first) {
        sentenceLeft = 6 + random.nextInt(9);
        word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
      }
      sentenceLeft--;
      return " " + word + (sentenceLeft == 0 ? "." : "");
    }
  }
}
