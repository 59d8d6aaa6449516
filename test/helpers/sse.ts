/** A small Server-Sent Events client over fetch, parsing the stream as the EventSource spec does. */

export interface SseEvent {
  event: string;
  /** JSON-decoded when possible, else the raw text. */
  data: any;
  /** The event's own id field (undefined when it had none). */
  id: string | undefined;
}

export interface SseClient {
  status: number;
  headers: Headers;
  /** The last `retry:` value seen, in ms. */
  retry: number | undefined;
  /** Every event received so far, in order. */
  readonly events: SseEvent[];
  /** Resolves when the server ends the stream (or the client closes it). */
  readonly ended: Promise<void>;
  /** The next event named `name` (any name when omitted); others before it are skipped. */
  next(name?: string, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

export async function openSse(url: string, options: { lastEventId?: string; headers?: Record<string, string> } = {}): Promise<SseClient> {
  const abort = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const res = await fetch(url, { headers, signal: abort.signal });
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel();
    throw Object.assign(new Error(`SSE open failed with ${res.status}`), { status: res.status });
  }

  const events: SseEvent[] = [];
  const queue: SseEvent[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const client: SseClient = {
    status: res.status,
    headers: res.headers,
    retry: undefined,
    events,
    ended: Promise.resolve(),
    async next(name, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (queue.length > 0) {
          const event = queue.shift()!;
          if (name === undefined || event.event === name) return event;
        }
        if (done) throw new Error(`stream ended before "${name ?? 'any event'}"; got ${events.map((e) => e.event).join(', ')}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no "${name ?? 'event'}" within ${timeoutMs} ms; got ${events.map((e) => e.event).join(', ')}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
    close() {
      abort.abort();
    },
  };

  const push = (event: SseEvent) => {
    events.push(event);
    queue.push(event);
    wake?.();
  };

  // Field parsing per the HTML spec: lines end in CR, LF or CRLF; a blank line dispatches.
  let buffer = '';
  let fields = { event: '', data: [] as string[], id: undefined as string | undefined };
  const line = (text: string) => {
    if (text === '') {
      if (fields.data.length > 0) {
        const raw = fields.data.join('\n');
        let data: unknown = raw;
        try {
          data = JSON.parse(raw);
        } catch {
          /* not JSON: keep the text */
        }
        push({ event: fields.event || 'message', data, id: fields.id });
      }
      fields = { event: '', data: [], id: undefined };
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const name = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') fields.event = value;
    else if (name === 'data') fields.data.push(value);
    else if (name === 'id') fields.id = value;
    else if (name === 'retry' && /^\d+$/.test(value)) client.retry = Number(value);
  };

  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  (client as { ended: Promise<void> }).ended = (async () => {
    try {
      for (;;) {
        const { value, done: finished } = await reader.read();
        if (finished) break;
        buffer += value;
        for (let match = /\r\n|\r|\n/.exec(buffer); match !== null; match = /\r\n|\r|\n/.exec(buffer)) {
          // A lone CR at the end may be the first half of CRLF: wait for more.
          if (match[0] === '\r' && match.index === buffer.length - 1) break;
          line(buffer.slice(0, match.index));
          buffer = buffer.slice(match.index + match[0].length);
        }
      }
    } catch {
      /* aborted by close() or the connection dropped: the stream is over either way */
    } finally {
      done = true;
      wake?.();
    }
  })();
  return client;
}
