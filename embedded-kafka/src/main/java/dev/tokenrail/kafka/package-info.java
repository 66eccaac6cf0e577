/** A real single-node KRaft broker inside the JVM, from Kafka's own server classes: the launcher's, the tests' and the benchmark's Kafka. */
package dev.tokenrail.kafka;
