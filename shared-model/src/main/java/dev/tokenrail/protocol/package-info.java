/** Protocol v1, what the services say to each other through Kafka: request and event records, their one codec, event and message ids, conversation keys and partitioning, topic names, trace context. */
package dev.tokenrail.protocol;
