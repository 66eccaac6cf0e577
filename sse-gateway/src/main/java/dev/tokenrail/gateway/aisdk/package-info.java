/**
 * The Vercel AI SDK's {@code useChat} back end: {@code POST /api/chat} and its UI message stream, resume
 * ({@code GET /api/chat/:id/stream}) and stop, over the same conversations, log and delivery as the native API.
 */
package dev.tokenrail.gateway.aisdk;
