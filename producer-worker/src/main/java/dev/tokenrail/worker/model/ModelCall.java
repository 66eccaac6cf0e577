package dev.tokenrail.worker.model;

/**
 * A way to stop a streaming model call before it has streamed anything. langchain4j hands out a
 * {@code StreamingHandle} with the first partial response only; until then a cancel could not reach the
 * provider, which went on generating — and billing — the whole answer. So the worker makes each call
 * {@link #around} its {@code chat(...)}, and what starts the provider's work on that thread (the provider
 * HTTP client's request, the demo model's timer) says {@link #onAbort how to stop it}.
 */
public final class ModelCall {

  private static final ThreadLocal<ModelCall> STARTING = new ThreadLocal<>();

  private Runnable abort;
  private boolean aborted;

  private ModelCall() {
  }

  /** Runs {@code chat} (which starts a streaming call) so that what it starts can be aborted. */
  public static ModelCall around(Runnable chat) {
    ModelCall call = new ModelCall();
    STARTING.set(call);
    try {
      chat.run();
    } finally {
      STARTING.remove();
    }
    return call;
  }

  /**
   * For providers: how to abort the call being started on this thread (nothing outside {@link #around}).
   * Runs at once if the call was aborted already.
   */
  public static void onAbort(Runnable abort) {
    ModelCall call = STARTING.get();
    if (call != null) {
      call.register(abort);
    }
  }

  /** Stops the call, whether or not it has streamed anything yet; once is enough. */
  public void abort() {
    Runnable a;
    synchronized (this) {
      if (aborted) {
        return;
      }
      aborted = true;
      a = abort;
    }
    if (a != null) {
      a.run();
    }
  }

  private void register(Runnable a) {
    boolean already;
    synchronized (this) {
      abort = a;
      already = aborted;
    }
    if (already) {
      a.run();
    }
  }
}
