import { describe, expect, it } from 'vitest';
import { socketEventNames } from '../src/contract/socket-events.ts';
import { socketEvents } from '../src/realtime/asyncapi.ts';

// The typed event maps (src/contract/socket-events.ts) and the AsyncAPI document are written apart;
// a name in one and not the other means a handler or emit the document does not show, or the reverse.
describe('socket event maps', () => {
  for (const [namespace, names] of Object.entries(socketEventNames)) {
    it(`${namespace}: the AsyncAPI document names exactly the events of the typed maps`, () => {
      const documented = socketEvents[namespace]?.events ?? [];
      const by = (direction: 'send' | 'receive') => documented.filter((e) => e.direction === direction).map((e) => e.name).sort();
      expect(by('receive')).toEqual([...names.fromClient].sort());
      expect(by('send')).toEqual([...names.fromServer].sort());
    });
  }
});
