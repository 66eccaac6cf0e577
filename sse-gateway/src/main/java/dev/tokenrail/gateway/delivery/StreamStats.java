package dev.tokenrail.gateway.delivery;

/** Open SSE streams of a gateway, and how many of them are catching up or stalled. */
public record StreamStats(int open, long catchingUp, long behind) {
}
