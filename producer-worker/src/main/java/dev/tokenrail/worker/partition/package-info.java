/**
 * One assigned requests partition's work — its records, redeliveries, conversation queues, cancels and
 * in-order committable offsets — and the generation slots its tasks share; it never calls back into the
 * verticle except through {@link dev.tokenrail.worker.partition.OffsetCommits} and the slots' pause/resume callbacks.
 */
package dev.tokenrail.worker.partition;
