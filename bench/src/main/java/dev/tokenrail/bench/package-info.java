/** The benchmark: scenarios against an embedded stack, their baselines (raw Kafka, an in-process relay, a bare server) and the report. */
package dev.tokenrail.bench;
