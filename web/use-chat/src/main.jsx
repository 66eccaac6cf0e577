// A useChat page against Tokenrail's /api/chat, for the browser tests and as the example in the docs.
// Query string: ?gateway=http://host:port (default: this page's origin), ?chat=ID, ?token=BEARER.
import { useChat } from '@ai-sdk/react';
import { DefaultChatTransport, generateId, getToolName, isToolUIPart } from 'ai';
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
// `start` chunk carries. An answer still pending is left out: resume brings it, from its first part.
async function loadHistory() {
  const response = await fetch(conversationUrl, { headers: AUTH });
  if (response.status === 404) return { messages: [], pending: false };
  if (!response.ok) throw new Error(`history: HTTP ${response.status} ${await response.text()}`);
  const transcript = await response.json();
  const finished = transcript.messages.filter((m) => !(m.role === 'assistant' && m.status === 'pending'));
  return { messages: finished.map(toUIMessage), pending: finished.length < transcript.messages.length };
}

function toUIMessage(m) {
  if (m.role === 'user') return { id: `${m.messageId}-user`, role: 'user', parts: [{ type: 'text', text: m.text }] };
  // As the stream gives them: the workers' tools are dynamic (the page declares none), outputs parsed JSON.
  const tools = (m.toolCalls ?? []).map((call) => ({
    type: 'dynamic-tool',
    providerExecuted: true, // the worker ran it: nothing for the page to run
    toolName: call.name,
    toolCallId: call.toolCallId,
    input: parseJson(call.arguments),
    ...(call.isError ? { state: 'output-error', errorText: call.result }
      : { state: 'output-available', output: parseJson(call.result) }),
  }));
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
    prepareSendMessagesRequest: ({ id, messages, trigger, messageId }) =>
      ({ body: { id, messages: messages.slice(-1), trigger, messageId } }),
    onServerAbort: () => { serverAborted.current = true; },
    // The answer left out as pending ended between reading the transcript and resuming: read it again.
    onNothingToResume: () => initial.pending && setHistoryStale(true),
  }));
  const { messages, setMessages, sendMessage, stop, status, error } = useChat({
    id: CHAT_ID,
    messages: initial.messages,
    resume: true,
    transport,
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
    const answer = messages.at(-1)?.role === 'assistant' ? messages.at(-1).id : undefined;
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
