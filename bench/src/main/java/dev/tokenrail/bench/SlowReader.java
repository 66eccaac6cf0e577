package dev.tokenrail.bench;

import io.vertx.core.json.JsonObject;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A client on a bad network: a raw socket with a small receive buffer follows its own conversation, posts
 * long answers (they queue in the conversation and stream one after the other), reads nothing for a long
 * stretch, then drains and checks every answer whole. Odd-numbered readers stall 10–25 s; even-numbered
 * ones as long as the run allows, up to 7 minutes — what it takes at model speed to fill the kernel's
 * socket buffers (megabytes on loopback) so that the gateway itself stops writing to the client and later
 * continues it from the log. A stall is sized so its answers end within the drain after the load stops.
 * Two stalls per conversation, then a new one. One platform thread each (a handful), blocking I/O.
 */
final class SlowReader implements Runnable {

  /** 30 s at 50 tokens/s, some 300 KB of frames. */
  private static final int TOKENS = 1_500;
  private static final long ANSWER_MS = 30_000;
  private static final long LONGEST_STALL_MS = 420_000;
  private static final int TURNS = 2;
  /** The gateway pings every 15 s; no byte for this long while draining means the stream is stuck. */
  private static final int READ_TIMEOUT_MS = 45_000;

  private final int index;
  private final SoakLoad load;
  private final SoakCounters counters;
  private volatile boolean closed;
  private volatile Socket socket;

  SlowReader(int index, SoakLoad load, SoakCounters counters) {
    this.index = index;
    this.load = load;
    this.counters = counters;
  }

  @Override
  public void run() {
    for (int generation = 0; !load.stopping() && !closed; generation++) {
      String conversation = "soak-slow-" + index + "-" + generation;
      try (Socket s = open(conversation)) {
        FrameReader frames = FrameReader.afterHead(s.getInputStream(), counters, System.nanoTime());
        if (frames == null) {
          pause(2_000);
          continue;
        }
        for (int turn = 0; turn < TURNS && !load.stopping() && !closed; turn++) {
          long stall = stallMillis();
          if (stall <= 0) { // too late in the run to stall and still end within the drain
            pause(load.millisLeft() + 1_000);
            break;
          }
          Map<String, AnswerCheck> answers = new HashMap<>();
          for (long covered = 0; covered < stall || answers.isEmpty(); covered += ANSWER_MS) {
            String messageId = load.http().postMessage(conversation, "#tokens=" + TOKENS + " a slow reader's answer")
                .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
            AnswerCheck check = new AnswerCheck(conversation, messageId, counters);
            check.accept();
            answers.put(messageId, check);
          }
          pause(stall); // reads nothing
          counters.count(stall > ANSWER_MS ? "slow reader stalls of 30 s to 7 min, then drained"
              : "slow reader stalls of 10-30 s, then drained");
          drain(frames, answers);
        }
      } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
        pause(2_000); // the POST failed: counted by SoakHttp
      } catch (SocketTimeoutException e) {
        counters.error(SoakHttp.SLOW_READER, "no byte for " + READ_TIMEOUT_MS / 1000 + " s while draining");
      } catch (IOException e) {
        if (!closed) {
          counters.error(SoakHttp.SLOW_READER, e);
          pause(2_000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) { // a malformed response or event: counted, and the reader goes on
        counters.error(SoakHttp.SLOW_READER, e);
        pause(2_000);
      }
    }
  }

  /** Stops reading: closes the socket, which ends a blocked read. */
  void close() throws IOException {
    closed = true;
    Socket s = socket;
    if (s != null) {
      s.close();
    }
  }

  private Socket open(String conversation) throws IOException {
    Socket s = new Socket();
    s.setReceiveBufferSize(4 * 1024); // before connecting, so the TCP window stays small
    s.setSoTimeout(READ_TIMEOUT_MS);
    s.connect(new InetSocketAddress("localhost", load.http().port()), 10_000);
    s.getOutputStream().write(("GET /api/conversations/" + conversation + "/events HTTP/1.1\r\nHost: localhost\r\n"
        + "Accept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    socket = s;
    return s;
  }

  /** How long to read nothing: 0 when the load ends too soon for a stall whose answers end in the drain. */
  private long stallMillis() {
    long left = load.millisLeft() - 10_000;
    long wanted = index % 2 == 0 ? Math.min(LONGEST_STALL_MS, left - ANSWER_MS)
        : 10_000 + ThreadLocalRandom.current().nextInt(15_000);
    return left < 10_000 ? 0 : Math.max(10_000, Math.min(wanted, left));
  }

  private void drain(FrameReader frames, Map<String, AnswerCheck> answers) throws IOException {
    while (!answers.values().stream().allMatch(AnswerCheck::ended) && !closed) {
      SseFrame frame = frames.next();
      if (frame == null) {
        counters.error(SoakHttp.SLOW_READER, "stream ended by the gateway");
        throw new IOException("stream ended");
      }
      if ("reset".equals(frame.event())) {
        counters.error(SoakHttp.SLOW_READER, "reset event: " + frame.data());
      } else if (frame.isEvent()) {
        JsonObject event = new JsonObject(frame.data());
        AnswerCheck check = answers.get(event.getString("messageId"));
        if (check != null) {
          check.onEvent(frame.event(), event);
        }
      }
    }
  }

  private void pause(long millis) {
    long until = System.currentTimeMillis() + millis;
    try {
      while (!closed && System.currentTimeMillis() < until) {
        Thread.sleep(Math.min(200, Math.max(1, until - System.currentTimeMillis())));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Reads SSE frames off a raw HTTP/1.1 response: the head, then the body, de-chunked when it is chunked. */
  static final class FrameReader {

    private final InputStream body;
    private final ByteArrayOutputStream frame = new ByteArrayOutputStream();

    private FrameReader(InputStream body) {
      this.body = body;
    }

    /** Reads the response head and counts its status; null unless it is a 200. */
    static FrameReader afterHead(InputStream raw, SoakCounters counters, long sentNanos) throws IOException {
      InputStream in = new BufferedInputStream(raw);
      String head = readHead(in);
      int status = Integer.parseInt(head.substring(9, 12));
      counters.status(SoakHttp.SLOW_READER, status, (System.nanoTime() - sentNanos) / 1_000);
      if (status != 200) {
        return null;
      }
      boolean chunked = head.toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked");
      return new FrameReader(chunked ? new Dechunking(in) : in);
    }

    /** The next frame, or null at the end of the stream. */
    SseFrame next() throws IOException {
      frame.reset();
      int previous = -1;
      for (int b = body.read(); b >= 0; b = body.read()) {
        if (b == '\n' && previous == '\n') {
          return SseFrame.parse(frame.toString(StandardCharsets.UTF_8));
        }
        frame.write(b);
        previous = b;
      }
      return null;
    }

    private static String readHead(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int matched = 0;
      while (matched < 4) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("connection closed in the response head");
        }
        head.write(b);
        matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
      }
      return head.toString(StandardCharsets.US_ASCII);
    }
  }

  /** HTTP/1.1 chunked transfer coding, decoded. */
  private static final class Dechunking extends InputStream {

    private final InputStream in;
    private long remaining;
    private boolean ended;

    Dechunking(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      if (ended) {
        return -1;
      }
      if (remaining == 0) {
        String size = line();
        if (size != null && size.isEmpty()) { // the CRLF that closes the previous chunk
          size = line();
        }
        if (size == null) {
          ended = true;
          return -1;
        }
        int semicolon = size.indexOf(';');
        remaining = Long.parseLong((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
        if (remaining == 0) {
          ended = true;
          return -1;
        }
      }
      int b = in.read();
      if (b < 0) {
        ended = true;
        return -1;
      }
      remaining--;
      return b;
    }

    /** A line without its CRLF; null at the end of the stream. */
    private String line() throws IOException {
      StringBuilder line = new StringBuilder();
      for (int b = in.read(); b != '\n'; b = in.read()) {
        if (b < 0) {
          return null;
        }
        if (b != '\r') {
          line.append((char) b);
        }
      }
      return line.toString();
    }
  }
}
