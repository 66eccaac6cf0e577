/** SSE streams of a conversation's events: live delivery, catch-up from the log, slow-client fallback, frames and wire formats, where a stream starts. */
package dev.tokenrail.gateway.delivery;
