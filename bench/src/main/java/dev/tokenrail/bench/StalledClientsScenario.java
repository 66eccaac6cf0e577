package dev.tokenrail.bench;

import dev.tokenrail.runtime.KafkaSettings;
import io.netty.buffer.PooledByteBufAllocator;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.PoolOptions;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Memory per stalled client: {@code --clients} sockets that never read follow one fast answer until the
 * gateway has stopped writing to every one of them; heap (after GC) and Netty's direct memory are
 * compared with before they connected.
 */
final class StalledClientsScenario {

  private StalledClientsScenario() {
  }

  static void run(Options options) throws Exception {
    int clients = options.integer("clients", 200);
    try (BenchStack stack = BenchStack.start(KafkaSettings.DEFAULT_LINGER_MS, 2_000, 0)) {
      Vertx load = Vertx.vertx();
      List<Socket> sockets = new ArrayList<>();
      try {
        HttpClient http = load.createHttpClient(new PoolOptions().setHttp1MaxSize(2));
        BenchStack.await(Bench.post(http, stack.port(), "stalled", "#tokens=100000 nobody reads this"));
        // Two steps, so what grows anyway while the answer streams (Kafka buffers, the log) cancels out:
        // the cost of a stalled client is the slope between them.
        stall(stack, sockets, clients / 2);
        long heapHalf = usedHeapAfterGc();
        long directHalf = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
        stall(stack, sockets, clients);
        long heapAll = usedHeapAfterGc();
        long directAll = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
        int added = clients - clients / 2;
        System.out.printf("%d stalled clients, all behind (the gateway stopped writing to them): %s%n",
            clients, BenchStack.await(stack.gateway().streamStats()));
        System.out.printf("  heap per stalled client: %,d bytes; Netty direct memory per client: %,d bytes%n",
            (heapAll - heapHalf) / added, (directAll - directHalf) / added);
      } finally {
        for (Socket s : sockets) {
          s.close();
        }
        BenchStack.await(load.close());
      }
    }
  }

  /** Opens sockets that never read until there are {@code total}, and waits until all are behind. */
  private static void stall(BenchStack stack, List<Socket> sockets, int total) throws Exception {
    while (sockets.size() < total) {
      Socket socket = new Socket();
      socket.setReceiveBufferSize(4 * 1024);
      socket.connect(new InetSocketAddress("localhost", stack.port()));
      socket.getOutputStream().write(("GET /api/conversations/stalled/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      sockets.add(socket);
    }
    long started = System.nanoTime();
    while (BenchStack.await(stack.gateway().streamStats()).behind() < total) {
      if (System.nanoTime() - started > 120e9) {
        throw new IllegalStateException("not every client stalled: " + BenchStack.await(stack.gateway().streamStats()));
      }
      Thread.sleep(200); // a benchmark polling the gateway, not a test
    }
  }

  private static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
