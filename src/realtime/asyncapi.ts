import { z } from 'zod';
import { auditQuery } from '../audit/schemas.ts';
import { commandPayload, deviceDescriptorSchema, deviceReply, stateMessage } from '../devices/schemas.ts';
import { deviceBody, tokenBody } from '../contract/responses.ts';
import { type JsonSchema, jsonSchemaOf } from '../json-schema.ts';
import { namespaces } from './rooms.ts';

/** Who sends: `send` = the relay emits it, `receive` = clients emit it to the relay (with an ack). */
type Direction = 'send' | 'receive';

interface EventDoc {
  name: string;
  direction: Direction;
  summary: string;
  payload?: z.ZodType;
}

const grantRef = z.looseObject({ grantId: z.string() });
/** docs/api-extensions.md: a live kiosk or device whose credential died is told why, then disconnected. */
const authRevoked: EventDoc = {
  name: 'auth:revoked',
  direction: 'send',
  summary: 'Its key was rotated, replaced or refused (home removed, --device-auth keys): the code a new handshake would get; disconnected next',
  payload: z.looseObject({ code: z.string() }),
};
const deviceEvents = (summaryOf: string): EventDoc[] =>
  [
    ...(['device:state', 'device:online', 'device:offline'] as const).map((name): EventDoc => ({ name, direction: 'send', summary: `${summaryOf}: ${name.slice(7)}`, payload: deviceBody })),
    { name: 'device:removed', direction: 'send', summary: `${summaryOf} was forgotten`, payload: z.looseObject({ id: z.string(), reason: z.string() }) },
  ];
/** docs/api-extensions.md, "Resume after a drop": sent once to a socket that connected with `auth.since`. */
const resumeEvents: EventDoc[] = [
  {
    name: 'resume',
    direction: 'send',
    summary: 'What it missed after auth.since, in order (latest state per device); live events follow',
    payload: z.looseObject({ epoch: z.string(), offset: z.number(), events: z.array(z.looseObject({ offset: z.number(), event: z.string(), payload: z.unknown() })) }),
  },
  {
    name: 'resync',
    direction: 'send',
    summary: 'The gap is older than the log or the log restarted: a fresh snapshot (devices, kiosk grants)',
    payload: z.looseObject({ epoch: z.string().nullable(), offset: z.number().nullable(), reason: z.enum(['too_old', 'new_epoch', 'unavailable']) }),
  },
];
const deviceRequests: EventDoc[] = [
  { name: 'devices:list', direction: 'receive', summary: 'ack data { devices: [device] }' },
  { name: 'device:command', direction: 'receive', summary: 'ack data as the REST 200 body; same errors', payload: commandPayload },
];

/** Every namespace's events (API.md, "Socket.IO namespaces"); test/asyncapi.test.ts checks the relay listens to no other. */
export const socketEvents: Record<string, { auth: string; events: EventDoc[] }> = {
  [namespaces.kiosk]: {
    auth: 'auth: { serial, hubKey }',
    events: [
      {
        name: 'pairing:code',
        direction: 'send',
        summary: 'A code to show; never sent anywhere else',
        payload: z.looseObject({
          code: z.string(),
          expiresAt: z.string(),
          ttlSeconds: z.number(),
          clientName: z.string().optional(),
          requestedFrom: z.looseObject({ ip: z.string(), userAgent: z.string().nullable() }),
        }),
      },
      { name: 'pairing:claimed', direction: 'send', summary: 'The code was used', payload: z.looseObject({ grantId: z.string(), clientName: z.string() }) },
      { name: 'pairing:expired', direction: 'send', summary: 'The code timed out' },
      { name: 'pairing:burned', direction: 'send', summary: 'Too many wrong claims burned the code' },
      { name: 'pairing:locked', direction: 'send', summary: 'Pairing is locked for the home', payload: z.looseObject({ until: z.string() }) },
      { name: 'pairing:unlocked', direction: 'send', summary: 'The lock was lifted' },
      { name: 'audit:entry', direction: 'send', summary: 'A new audit log entry of the home (as GET /api/v1/audit lists them)' },
      ...deviceEvents('A device of the home'),
      { name: 'grant:created', direction: 'send', summary: 'A client paired', payload: grantRef },
      { name: 'grant:revoked', direction: 'send', summary: 'A grant was revoked', payload: grantRef },
      { name: 'pairing:open', direction: 'receive', summary: 'A fresh code (arrives as pairing:code); ack { expiresAt, ttlSeconds }' },
      { name: 'pairing:cancel', direction: 'receive', summary: 'Withdraw the active code' },
      { name: 'pairing:unlock', direction: 'receive', summary: 'Lift a lock; ack {}' },
      ...deviceRequests,
      { name: 'grants:list', direction: 'receive', summary: 'ack data { grants: [...] }' },
      { name: 'grant:revoke', direction: 'receive', summary: 'Revoke a grant of the home', payload: grantRef },
      { name: 'device:enroll', direction: 'receive', summary: 'A device key for one deviceId; ack data { deviceId, deviceKey }', payload: z.looseObject({ deviceId: z.string() }) },
      { name: 'device:remove', direction: 'receive', summary: 'Forget a device', payload: z.looseObject({ deviceId: z.string() }) },
      { name: 'guest:create', direction: 'receive', summary: 'Invite a guest (body as POST /api/v1/guests); ack data as its 201 body' },
      { name: 'audit:list', direction: 'receive', summary: 'ack data as GET /api/v1/audit', payload: auditQuery },
      authRevoked,
      ...resumeEvents,
    ],
  },
  [namespaces.device]: {
    auth: 'auth: { serial, hubKey | deviceKey, deviceId, name, type, actions, state }',
    events: [
      { name: 'command', direction: 'send', summary: 'Do something; the ack is the device reply', payload: z.looseObject({ commandId: z.string(), action: z.string(), params: z.record(z.string(), z.unknown()) }) },
      { name: 'state', direction: 'receive', summary: 'An unsolicited change (a wall switch)', payload: stateMessage },
      authRevoked,
    ],
  },
  [namespaces.dashboard]: {
    auth: 'auth: { token } (access JWT)',
    events: [
      ...deviceEvents('A device of the home'),
      { name: 'grant:revoked', direction: 'send', summary: 'This grant was revoked; the socket is disconnected next', payload: grantRef },
      { name: 'token:expired', direction: 'send', summary: 'The access token expired; the socket is disconnected next' },
      { name: 'grant:expired', direction: 'send', summary: "A guest grant reached notAfter; the socket is cut next", payload: z.looseObject({ grantId: z.string(), notAfter: z.string() }) },
      ...resumeEvents,
      ...deviceRequests,
      { name: 'qr:get', direction: 'receive', summary: 'Inspect a scanned QR session (REST GET /api/v1/qr/sessions/:scanId)', payload: z.looseObject({ scanId: z.string() }) },
      { name: 'qr:approve', direction: 'receive', summary: 'Approve it', payload: z.looseObject({ scanId: z.string(), clientName: z.string().optional() }) },
      { name: 'qr:deny', direction: 'receive', summary: 'Deny it', payload: z.looseObject({ scanId: z.string() }) },
    ],
  },
};

/** QR login's Server-Sent Events, by event name. */
export const qrStreamEvents: EventDoc[] = [
  { name: 'CONNECT', direction: 'send', summary: 'At once' },
  { name: 'ping', direction: 'send', summary: 'Every QR_PING_INTERVAL' },
  { name: 'QR', direction: 'send', summary: 'A new scan id (every QR_SCAN_ROTATION while pending and watched)' },
  { name: 'SCANNED', direction: 'send', summary: "A phone opened it: the approver's client name", payload: z.looseObject({ clientName: z.string() }) },
  { name: 'COMPLETE', direction: 'send', summary: 'The token response, or { sealed: <compact JWE> } with publicKey', payload: z.union([tokenBody, z.looseObject({ sealed: z.string() })]) },
  { name: 'FAIL', direction: 'send', summary: 'The stream ends', payload: z.looseObject({ reason: z.enum(['expired', 'denied']) }) },
];

const channelId = (namespace: string) => (namespace === '/' ? 'dashboard' : namespace.slice(1));
const messageId = (channel: string, event: string) => `${channel}.${event}`.replace(/[^A-Za-z0-9._-]/g, '_');

function channel(id: string, address: string, description: string, events: EventDoc[]) {
  const messages: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};
  for (const event of events) {
    const key = messageId(id, event.name);
    messages[key] = { name: event.name, summary: event.summary, ...(event.payload ? { payload: jsonSchemaOf(event.payload, 'output') } : {}) };
    operations[key] = { action: event.direction, channel: { $ref: `#/channels/${id}` }, messages: [{ $ref: `#/channels/${id}/messages/${key}` }] };
  }
  return { channel: { address, description, messages }, operations };
}

/** The AsyncAPI 3.0 document: the Socket.IO namespaces and the QR login event stream. */
export function asyncApiDocument(info: { version: string }): JsonSchema {
  const channels: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};
  const add = (id: string, built: ReturnType<typeof channel>) => {
    channels[id] = built.channel;
    Object.assign(operations, built.operations);
  };
  for (const [namespace, { auth, events }] of Object.entries(socketEvents)) {
    add(channelId(namespace), channel(channelId(namespace), namespace, `Socket.IO namespace ${namespace} (path /socket.io); ${auth}. Client events are acknowledged { ok, data | error }.`, events));
  }
  add('qrEvents', channel('qrEvents', '/api/v1/qr/sessions/{sessionId}/events', 'Server-Sent Events of one QR login session', qrStreamEvents));
  return {
    asyncapi: '3.0.0',
    info: { title: 'home-relay realtime', version: info.version, description: 'Socket.IO namespaces and SSE of home-relay (API.md).' },
    channels,
    operations,
    components: {
      schemas: {
        deviceHandshake: jsonSchemaOf(deviceDescriptorSchema, 'input'),
        deviceReply: jsonSchemaOf(deviceReply, 'input'),
      },
    },
  };
}
