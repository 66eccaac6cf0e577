/** What the gateway writes to and reads from Kafka about a conversation besides its live events: message intake, conversation starts, transcripts, message status and bounded lookups in the log. */
package dev.tokenrail.gateway.conversations;
