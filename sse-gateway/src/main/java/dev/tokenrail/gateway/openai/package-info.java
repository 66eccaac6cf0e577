/** OpenAI's chat-completions API on the same pipeline: request parsing, the completion wire format, the model list. */
package dev.tokenrail.gateway.openai;
