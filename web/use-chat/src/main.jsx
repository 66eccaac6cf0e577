// A useChat page against Tokenrail's /api/chat, for the browser tests and as the example in the docs.
// Query string: ?gateway=http://host:port (default: this page's origin), ?chat=ID, ?token=BEARER.
import { useChat } from '@ai-sdk/react';
import {
  DefaultChatTransport, generateId, getToolName, isToolUIPart, lastAssistantMessageIsCompleteWithToolCalls,
} from 'ai';
import { useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';

const params = new URLSearchParams(location.search);
const GATEWAY = (params.get('gateway') ?? location.origin).replace(/\/+$/, '');
const AUTH = params.get('token') ? { Authorization: `Bearer ${params.get('token')}` } : {};
const CHAT_ID = params.get('chat') ?? generateId(); // 16 letters and digits: a valid Tokenrail id
if (!params.has('chat')) { // a reload must find the same conversation, or there is nothing to resume
  params.set('chat', CHAT_ID);
  history.replaceState(null, '', `${location.pathname}?${params}`);
}
const conversationUrl = `${GATEWAY}/api/conversations/${encodeURIComponent(CHAT_ID)}`;

// The page's own tools: offered to the model with every message (the body's `tools`), run here in the
// browser when the model calls one (onToolCall); their outputs go back with the next request.
const PAGE_TOOLS = [{
  name: 'uppercase',
  description: 'Upper-cases a text',
  parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
}];
const runPageTool = {
  uppercase: ({ text }) => ({ text: String(text).toUpperCase() }),
};
window.tokenrailRequests = 0; // for the tests: how many times the page posted to /api/chat
const chatUrl = `${GATEWAY}/api/chat/${encodeURIComponent(CHAT_ID)}`;

// useChat ignores an `abort` chunk from the server (its onFinish says isAbort only when the page itself
// aborted), so the transport watches for it; it also says when a resume found no answer (204).
class TokenrailTransport extends DefaultChatTransport {
  constructor({ onServerAbort, onNothingToResume, ...options }) {
    super(options);
    this.onServerAbort = onServerAbort;
    this.onNothingToResume = onNothingToResume;
  }
  processResponseStream(stream) {
    const onServerAbort = this.onServerAbort;
    return super.processResponseStream(stream).pipeThrough(new TransformStream({
      transform(chunk, controller) {
        if (chunk.type === 'abort') onServerAbort();
        controller.enqueue(chunk);
      },
    }));
  }
  async reconnectToStream(options) {
    const stream = await super.reconnectToStream(options);
    document.body.dataset.resume = stream === null ? 'nothing' : 'resumed'; // for the tests: what resume found
    if (stream === null) this.onNothingToResume();
    return stream;
  }
}

// Transcript → UIMessages. The transcript gives a user message and its answer the same messageId, and
// useChat finds messages by id, so the user's gets a suffix; the answer keeps the id that the stream's
// `start` chunk carries. An answer still pending is left out: resume brings it, from its first part. A turn
// that brought the page's tool outputs has no user text: its outputs complete the calls of the answer before.
async function loadHistory() {
  const response = await fetch(conversationUrl, { headers: AUTH });
  if (response.status === 404) return { messages: [], pending: false };
  if (!response.ok) throw new Error(`history: HTTP ${response.status} ${await response.text()}`);
  const transcript = await response.json();
  const finished = transcript.messages.filter((m) => !(m.role === 'assistant' && m.status === 'pending'));
  const outputs = new Map(finished.flatMap((m) => m.toolResults ?? []).map((r) => [r.toolCallId, r]));
  const messages = finished.filter((m) => m.role === 'assistant' || m.text).map((m) => toUIMessage(m, outputs));
  return { messages, pending: finished.length < transcript.messages.length };
}

function toUIMessage(m, outputs) {
  if (m.role === 'user') return { id: `${m.messageId}-user`, role: 'user', parts: [{ type: 'text', text: m.text }] };
  const tools = (m.toolCalls ?? []).map((call) => {
    // The workers' tools are dynamic (the page declares none of them), outputs parsed JSON; the page's own
    // are `tool-NAME` parts, their outputs from the turn that brought them.
    const result = call.client ? outputs.get(call.toolCallId) : call;
    const outcome = !result ? { state: 'input-available' }
      : result.isError ? { state: 'output-error', errorText: result.result }
      : { state: 'output-available', output: parseJson(result.result) };
    return call.client
      ? { type: `tool-${call.name}`, toolCallId: call.toolCallId, input: parseJson(call.arguments), ...outcome }
      : { type: 'dynamic-tool', providerExecuted: true, toolName: call.name, toolCallId: call.toolCallId,
        input: parseJson(call.arguments), ...outcome };
  });
  return { id: m.messageId, role: 'assistant', metadata: { status: m.status }, parts: [...tools, { type: 'text', text: m.text }] };
}

function parseJson(text) {
  try { return JSON.parse(text); } catch { return text; }
}

function App() {
  const [loaded, setLoaded] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => { loadHistory().then(setLoaded, (e) => setError(e.message)); }, []);
  if (error) return <p data-testid="error">{error}</p>;
  // useChat resumes once, on mount: mount it only when the finished messages are known.
  return loaded ? <Chat initial={loaded} /> : <p>Loading…</p>;
}

function Chat({ initial }) {
  const [aborted, setAborted] = useState(() => new Set());
  const [pageError, setPageError] = useState(null);
  const [input, setInput] = useState('');
  const [historyStale, setHistoryStale] = useState(false);
  const serverAborted = useRef(false); // one request streams at a time: its onFinish reads and clears it
  const [transport] = useState(() => new TokenrailTransport({
    api: `${GATEWAY}/api/chat`, // resume goes to `${api}/${id}/stream`
    headers: AUTH,
    // The gateway stores only the last message (the workers remember the conversation): send only that,
    // rather than the whole history on every message.
    // Its tools go with every request: the gateway offers them to the model.
    prepareSendMessagesRequest: ({ id, messages, trigger, messageId }) => {
      window.tokenrailRequests += 1;
      return { body: { id, messages: messages.slice(-1), trigger, messageId, tools: PAGE_TOOLS } };
    },
    onServerAbort: () => { serverAborted.current = true; },
    // The answer left out as pending ended between reading the transcript and resuming: read it again.
    onNothingToResume: () => initial.pending && setHistoryStale(true),
  }));
  const { messages, setMessages, sendMessage, stop, status, error, addToolOutput } = useChat({
    id: CHAT_ID,
    messages: initial.messages,
    resume: true,
    transport,
    // A call of the page's tool: run it, add its output (not awaited: the SDK's queue is busy with this
    // stream), and once every call of the message has its output the SDK sends the conversation again.
    onToolCall: ({ toolCall }) => {
      const run = runPageTool[toolCall.toolName];
      if (!run) return;
      try {
        addToolOutput({ tool: toolCall.toolName, toolCallId: toolCall.toolCallId, output: run(toolCall.input) });
      } catch (e) {
        addToolOutput({ state: 'output-error', tool: toolCall.toolName, toolCallId: toolCall.toolCallId, errorText: e.message });
      }
    },
    sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithToolCalls,
    onFinish: ({ message, isAbort }) => {
      if (isAbort || serverAborted.current) setAborted((ids) => new Set(ids).add(message.id));
      serverAborted.current = false;
    },
  });
  useEffect(() => {
    if (historyStale) loadHistory().then((h) => setMessages(h.messages), (e) => setPageError(e.message));
  }, [historyStale, setMessages]);
  const busy = status === 'submitted' || status === 'streaming';

  // Closing the stream (the SDK's stop) leaves the answer running on the gateway; the stop endpoint
  // cancels it — the answer the stream's start named, even while it still waits for a worker. Ask the
  // gateway first, then stop reading.
  async function onStop() {
    // An answer that goes on from the page's tool outputs adds to the message the page has, under that
    // message's id: its own Tokenrail id is in the metadata its start carried.
    const last = messages.at(-1);
    const answer = last?.role === 'assistant' ? (last.metadata?.messageId ?? last.id) : undefined;
    try {
      const response = await fetch(`${chatUrl}/stop`, {
        method: 'POST',
        headers: { ...AUTH, 'Content-Type': 'application/json' },
        body: JSON.stringify(answer ? { messageId: answer } : {}),
      });
      if (!response.ok) setPageError(`stop: HTTP ${response.status}`);
    } catch (e) {
      setPageError(`stop: ${e.message}`);
    } finally {
      await stop();
    }
  }

  function onSubmit(event) {
    event.preventDefault();
    if (!input.trim() || busy) return;
    sendMessage({ text: input });
    setInput('');
  }

  return (
    <main>
      {messages.map((m) => (
        <article key={m.id} data-testid="message" data-role={m.role} data-message-id={m.id}
          data-aborted={String(aborted.has(m.id) || m.metadata?.status === 'cancelled')}
          data-metadata={m.metadata === undefined ? undefined : JSON.stringify(m.metadata)}>
          <b>{m.role}</b>{' '}
          {m.parts.map((part, i) => part.type === 'text'
            ? <span key={i} data-testid="text">{part.text}</span>
            : part.type === 'reasoning' ? <Reasoning key={i} part={part} />
            : isToolUIPart(part) ? <ToolPart key={i} part={part} /> : null)}
        </article>
      ))}
      <form onSubmit={onSubmit}>
        <input data-testid="input" value={input} onChange={(e) => setInput(e.target.value)} />
        <button data-testid="send" type="submit" disabled={busy}>Send</button>
        <button data-testid="stop" type="button" onClick={onStop} disabled={!busy}>Stop</button>
        <span data-testid="status">{status}</span>
      </form>
      {(error || pageError) && <p data-testid="error">{error?.message ?? pageError}</p>}
    </main>
  );
}

// The model's thinking, folded: apart from the answer.
function Reasoning({ part }) {
  return (
    <details data-testid="reasoning" data-state={part.state}>
      <summary>thinking</summary>
      <pre>{part.text}</pre>
    </details>
  );
}

// part.type is `tool-<name>`, or `dynamic-tool` with part.toolName when the chunk said dynamic: true.
function ToolPart({ part }) {
  return (
    <pre data-testid="tool" data-tool-name={getToolName(part)} data-state={part.state}>
      {getToolName(part)}({JSON.stringify(part.input)}){' → '}
      {part.state === 'output-error' ? `error: ${part.errorText}` : JSON.stringify(part.output) ?? '…'}
    </pre>
  );
}

createRoot(document.getElementById('root')).render(<App />);
