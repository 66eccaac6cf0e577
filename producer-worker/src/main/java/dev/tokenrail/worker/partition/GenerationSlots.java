package dev.tokenrail.worker.partition;

import java.util.ArrayDeque;
import java.util.function.IntSupplier;

/**
 * The worker's generation slots, shared by all its partition tasks: at most {@code max} generations run at
 * once, and conversations' heads wait in line for a free slot. The slots are {@link #full} while everything
 * taken — running, waiting for a slot, and parked behind a conversation's running message, in every
 * partition — reaches the maximum: the worker then takes no more requests. It does not touch the consumer:
 * it tells the verticle, which owns it, when that changes. Confined to the verticle's context.
 */
public final class GenerationSlots {

  private final int maxConcurrentGenerations;
  private final IntSupplier parked;
  private final Runnable fullnessChanged;
  /** Generations waiting for a free slot: at most {@code maxConcurrentGenerations} run at once. */
  private final ArrayDeque<Runnable> waitingToStart = new ArrayDeque<>();
  private int inFlight;
  private boolean full;
  /** Set on shutdown: nothing waiting starts any more, and consumption is not resumed. */
  private boolean draining;

  /**
   * @param parked          messages parked behind their conversation's running one, summed over every partition
   * @param fullnessChanged  told when {@link #full} changes
   */
  public GenerationSlots(int maxConcurrentGenerations, IntSupplier parked, Runnable fullnessChanged) {
    this.maxConcurrentGenerations = maxConcurrentGenerations;
    this.parked = parked;
    this.fullnessChanged = fullnessChanged;
  }

  /** Everything is taken: no more requests should be read until this turns false. */
  public boolean full() {
    return full;
  }

  /** Queues a conversation's head; it starts as soon as fewer than the maximum run. */
  void startWhenFree(Runnable start) {
    waitingToStart.add(start);
    startWaiting();
  }

  /** Starts what waits while slots are free, then tells whether the slots are full for what is taken now. */
  void startWaiting() {
    if (draining) {
      return;
    }
    while (inFlight < maxConcurrentGenerations && !waitingToStart.isEmpty()) {
      waitingToStart.poll().run();
    }
    int taken = inFlight + waitingToStart.size() + parked.getAsInt();
    if (full != taken >= maxConcurrentGenerations) {
      full = !full;
      fullnessChanged.run();
    }
  }

  /** A generation took a slot. */
  void started() {
    inFlight++;
  }

  /** A generation gave its slot back. */
  void ended() {
    inFlight--;
  }

  /** Generations running. */
  public int inFlight() {
    return inFlight;
  }

  /** On shutdown: what waits for a slot never starts (not started, not committed: the partition's next owner answers it). */
  public void drain() {
    draining = true;
    waitingToStart.clear();
  }
}
