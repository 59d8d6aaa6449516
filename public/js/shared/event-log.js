// @ts-check
/**
 * Resume after a drop (docs/api-extensions.md): the socket asks with `auth.since` for what it missed
 * while away. Logged home events come with their `{ epoch, offset }`; this keeps the last one applied,
 * holds live events that arrive before the relay's `resume` / `resync`, drops offsets already applied,
 * and hands replayed events to the same handlers as live ones, in order.
 * Use `log.auth(auth)` as the socket's `auth`, `log.attach(socket)` right after creating it, and
 * `log.on(event, handler)` instead of `socket.on` for home events.
 */
export function eventLog() {
  const handlers = new Map();
  const resyncHandlers = [];
  let socket = null;
  let position = null; // { epoch, offset } of the last applied event; null before the first connect
  let held = []; // live events waiting for resume/resync; null once live

  const apply = (event, payload, meta) => {
    if (meta && position && meta.epoch === position.epoch && meta.offset <= position.offset) return;
    // No second argument: sent to this socket alone (pairing:locked on connect), not a logged event.
    // null: an event the relay could not log; the position is lost and the next connect resyncs.
    if (meta !== undefined) position = meta ? { epoch: meta.epoch, offset: meta.offset } : { epoch: 'lost', offset: 0 };
    for (const handler of handlers.get(event) ?? []) handler(payload);
  };
  const goLive = () => {
    const waiting = held ?? [];
    held = null;
    for (const [event, payload, meta] of waiting) apply(event, payload, meta);
  };
  const listen = (event) => {
    socket.on(event, (payload, meta) => (held ? held.push([event, payload, meta]) : apply(event, payload, meta)));
  };

  return {
    /** Wraps the handshake `auth` (an object or Socket.IO's callback form) to add `since`. */
    auth(base) {
      return (cb) => {
        const withSince = (auth) => cb({ ...auth, since: position ?? true });
        if (typeof base === 'function') base(withSince);
        else withSince(base);
      };
    },
    attach(s) {
      socket = s;
      for (const event of handlers.keys()) listen(event);
      socket.on('disconnect', () => {
        held = [];
      });
      socket.on('resume', ({ epoch, offset, events }) => {
        for (const entry of events) apply(entry.event, entry.payload, { epoch, offset: entry.offset });
        if (!position || position.epoch !== epoch || position.offset < offset) position = { epoch, offset };
        goLive();
      });
      socket.on('resync', (snapshot) => {
        position = snapshot.epoch ? { epoch: snapshot.epoch, offset: snapshot.offset } : { epoch: 'lost', offset: 0 };
        for (const handler of resyncHandlers) handler(snapshot);
        goLive();
      });
    },
    on(event, handler) {
      if (!handlers.has(event)) {
        handlers.set(event, []);
        if (socket) listen(event);
      }
      handlers.get(event).push(handler);
    },
    /** The relay could not replay (too old, restarted): `snapshot` holds `devices` (and a kiosk's `grants`). */
    onResync(handler) {
      resyncHandlers.push(handler);
    },
  };
}
