package dev.tokenrail.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * An SSE client that stops reading: a plain socket with a small receive buffer that sends the request
 * and then reads nothing, so the server's writes back up. {@link #resume()} starts reading again and
 * hands the (de-chunked) body to an {@link SseClient}.
 */
public final class StalledSseSocket implements AutoCloseable {

  private final Socket socket;

  private StalledSseSocket(Socket socket) {
    this.socket = socket;
  }

  public static StalledSseSocket open(String host, int port, String path) {
    try {
      Socket socket = new Socket();
      socket.setReceiveBufferSize(4 * 1024); // before connecting, so the TCP window stays small
      socket.connect(new InetSocketAddress(host, port), 10_000);
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAccept: text/event-stream\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      return new StalledSseSocket(socket);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads the response head, then the stream from where the socket stopped. */
  public SseClient resume() {
    try {
      InputStream in = socket.getInputStream();
      String head = readHead(in);
      if (!head.startsWith("HTTP/1.1 200")) {
        throw new IllegalStateException("unexpected response: " + head);
      }
      return SseClient.reading(head.toLowerCase().contains("transfer-encoding: chunked") ? new Dechunking(in) : in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
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
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (ended) {
        return -1;
      }
      if (remaining == 0) {
        String size = line();
        if (size.isEmpty()) {
          size = line(); // the CRLF that ends the previous chunk
        }
        remaining = Long.parseLong(size.split(";")[0].trim(), 16);
        if (remaining == 0) {
          ended = true;
          return -1;
        }
      }
      int n = in.read(buffer, offset, (int) Math.min(length, remaining));
      if (n > 0) {
        remaining -= n;
      }
      return n;
    }

    private String line() throws IOException {
      StringBuilder line = new StringBuilder();
      int b;
      while ((b = in.read()) >= 0 && b != '\n') {
        if (b != '\r') {
          line.append((char) b);
        }
      }
      return line.toString();
    }
  }
}
