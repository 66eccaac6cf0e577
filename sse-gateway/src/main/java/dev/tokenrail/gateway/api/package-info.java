/** Tokenrail's own HTTP API: the conversation routes, the health and readiness probes, and the chat page. */
package dev.tokenrail.gateway.api;
