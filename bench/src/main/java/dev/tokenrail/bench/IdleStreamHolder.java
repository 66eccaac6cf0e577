package dev.tokenrail.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A child process that opens idle SSE streams to one gateway and holds them until its standard input closes: one
 * process may hold 20,000 files here, so 50,000 streams need clients in several processes, as they need several
 * gateways. Prints {@code HELD <count>} once every stream's head has come.
 *
 * <pre>java -cp bench.jar dev.tokenrail.bench.IdleStreamHolder PORT COUNT FIRST_CONVERSATION</pre>
 */
public final class IdleStreamHolder {

  private static final int SOURCE_ADDRESSES = 4;

  private IdleStreamHolder() {
  }

  public static void main(String[] args) throws IOException {
    int port = Integer.parseInt(args[0]);
    int count = Integer.parseInt(args[1]);
    int first = Integer.parseInt(args[2]);
    List<Socket> sockets = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      Socket socket = new Socket();
      socket.setReceiveBufferSize(4 * 1024);
      // Several source addresses: ephemeral ports (~28,000) are counted per address.
      socket.bind(new InetSocketAddress("127.0.0." + (1 + i % SOURCE_ADDRESSES), 0));
      socket.connect(new InetSocketAddress("127.0.0.1", port));
      socket.getOutputStream().write(("GET /api/conversations/idle-" + (first + i) + "/events HTTP/1.1\r\n"
          + "Host: localhost\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      sockets.add(socket);
    }
    for (Socket socket : sockets) { // held: the stream's head came
      socket.setSoTimeout(60_000);
      InputStream in = socket.getInputStream();
      if (in.read() < 0) {
        throw new IllegalStateException("a stream closed at once");
      }
    }
    System.out.println("HELD " + sockets.size());
    System.out.flush();
    while (System.in.read() >= 0) {
      // holding the streams until the bench closes our standard input
    }
    for (Socket socket : sockets) {
      socket.close();
    }
  }
}
