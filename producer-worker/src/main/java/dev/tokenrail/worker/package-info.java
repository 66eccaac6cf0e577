/**
 * The producer worker's entry points and wiring: {@link dev.tokenrail.worker.WorkerVerticle} owns the requests
 * consumer (assignment, memory restore, drain, commits) and its configuration ({@link dev.tokenrail.worker.WorkerConfig},
 * {@link dev.tokenrail.worker.ChatSettings}), and {@link dev.tokenrail.worker.WorkerMain} runs it on its own.
 */
package dev.tokenrail.worker;
