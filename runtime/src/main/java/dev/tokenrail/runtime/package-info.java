/** What every Tokenrail process runs on: configuration from the environment, Kafka client settings and topic set-up, metrics, log redaction and shutdown. */
package dev.tokenrail.runtime;
