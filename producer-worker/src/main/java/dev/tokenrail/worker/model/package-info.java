/** The chat models a worker streams answers from (OpenAI-compatible, Anthropic, the demo model), their settings, retries and error classification. */
package dev.tokenrail.worker.model;
