/**
 * One attempt at answering one message — its prompt, the model stream, tool rounds, timeouts — and every
 * write it makes to Kafka through an {@link dev.tokenrail.worker.generation.EventSink}, which alone owns the
 * terminal write order (memory, then terminal event, then {@code ended} marker).
 */
package dev.tokenrail.worker.generation;
