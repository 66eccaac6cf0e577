// The openai npm package against Tokenrail's Responses API, as a Node client would use it: start a background
// streaming response on one gateway, stop reading at sequence 10, resume on another gateway with
// starting_after, and print what it read as JSON (the Java test ResponsesApiTest checks it).
// Environment: GATEWAY_1, GATEWAY_2 (base URLs ending in /v1), TOKEN (a Tokenrail bearer token).
import OpenAI from 'openai';

const first = new OpenAI({ baseURL: process.env.GATEWAY_1, apiKey: process.env.TOKEN, maxRetries: 0 });
const second = new OpenAI({ baseURL: process.env.GATEWAY_2, apiKey: process.env.TOKEN, maxRetries: 0 });

const events = [];
const stream = await first.responses.create({
  model: 'openai:test-model', input: 'Tell me forty words from Node', background: true, stream: true,
});
for await (const event of stream) {
  events.push(event);
  if (event.sequence_number >= 10) break; // leaving the loop aborts the request: the client goes away
}
const id = events[0].response.id;
const resumed = await second.responses.retrieve(id, { stream: true, starting_after: events.at(-1).sequence_number });
for await (const event of resumed) {
  events.push(event);
  if (['response.completed', 'response.failed', 'response.incomplete'].includes(event.type)) break;
}
const stored = await first.responses.retrieve(id);
console.log(JSON.stringify({
  id,
  sequences: events.map((e) => e.sequence_number),
  deltas: events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join(''),
  last: events.at(-1).type,
  outputText: stored.output_text,
  status: stored.status,
}));
