import type { z } from 'zod';
import { commandBody, idempotencyKeySchema } from '../devices/schemas.ts';
import { type ErrorCode, errorCodes } from '../errors.ts';
import * as body from '../contract/responses.ts';
import { auditQuery } from '../audit/schemas.ts';
import { claimBody as guestClaimBody, inviteBody } from '../guests/terms.ts';
import { refreshBody } from './grant-routes.ts';
import { claimBody, codeRequestBody } from './pairing-routes.ts';
import { approveBody, createBody, denyBody } from './qr-routes.ts';

/** One documented response: a JSON body (zod), or another media type described in words. */
export interface ApiResponse {
  description: string;
  schema?: z.ZodType;
  mediaType?: string;
}

/** One REST operation as the OpenAPI document shows it; paths are written as Express routes (`:id`). */
export interface ApiOperation {
  method: 'get' | 'head' | 'post' | 'delete';
  path: string;
  summary: string;
  tag: 'operations' | 'pairing' | 'grants' | 'devices' | 'guests' | 'audit' | 'qr' | 'pages';
  bearer?: boolean;
  /** The very schema the route validates its JSON body with. */
  body?: z.ZodType;
  headers?: { name: string; schema: z.ZodType; description: string }[];
  /** The schema the route parses its query string with: one parameter per field. */
  query?: z.ZodObject;
  responses: Record<number, ApiResponse>;
}

const json = (description: string, schema: z.ZodType): ApiResponse => ({ description, schema });

/** Error responses grouped by status, each naming its codes; every body is `{ error: { code, message } }`. */
function errors(...codes: ErrorCode[]): Record<number, ApiResponse> {
  const byStatus: Record<number, ErrorCode[]> = {};
  for (const code of codes) {
    const status = errorCodes[code].status;
    byStatus[status] = [...(byStatus[status] ?? []), code];
  }
  return Object.fromEntries(Object.entries(byStatus).map(([status, list]) => [status, json(list.map((c) => `\`${c}\``).join(', '), body.errorBody)]));
}

/** The same statuses for a HEAD: the codes stay in the description, the body is never sent. */
const bodiless = (responses: Record<number, ApiResponse>): Record<number, ApiResponse> =>
  Object.fromEntries(Object.entries(responses).map(([status, r]) => [status, { description: `${r.description} (no body)` }]));

const authErrors: ErrorCode[] = ['unauthorized', 'invalid_token', 'token_revoked'];
const header = (name: string, description: string, schema: z.ZodType) => ({ name, description, schema });

/**
 * Every REST route the relay serves. test/openapi.test.ts walks the Express router and fails when
 * a route is missing here, and checks real responses against these schemas.
 */
export const apiOperations: ApiOperation[] = [
  { method: 'get', path: '/healthz', tag: 'operations', summary: 'Liveness: the process runs', responses: { 200: json('alive', body.healthBody) } },
  {
    method: 'get',
    path: '/readyz',
    tag: 'operations',
    summary: 'Readiness: the store answers',
    responses: { 200: json('ready', body.readyBody), ...errors('unavailable') },
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'operations',
    summary: 'Prometheus metrics',
    responses: { 200: { description: 'Prometheus text exposition format', mediaType: 'text/plain' } },
  },
  {
    method: 'get',
    path: '/api/v1/openapi.json',
    tag: 'operations',
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1', mediaType: 'application/json' } },
  },
  {
    method: 'get',
    path: '/api/v1/asyncapi.json',
    tag: 'operations',
    summary: 'The Socket.IO namespaces and SSE events as AsyncAPI 3',
    responses: { 200: { description: 'AsyncAPI 3.0', mediaType: 'application/json' } },
  },
  { method: 'get', path: '/kiosk', tag: 'pages', summary: 'The intercom screen', responses: { 200: { description: 'HTML page', mediaType: 'text/html' } } },
  {
    method: 'get',
    path: '/guest',
    tag: 'pages',
    summary: 'The guest page an invite link opens (the code rides in the fragment)',
    responses: { 200: { description: 'HTML page', mediaType: 'text/html' } },
  },

  {
    method: 'post',
    path: '/api/v1/pairing/code',
    tag: 'pairing',
    summary: "Ask for a six-digit code, shown only on the home's kiosks",
    body: codeRequestBody,
    responses: {
      202: json('a code was pushed to the kiosks; it is never in the response', body.codeIssuedBody),
      ...errors('invalid_request', 'home_not_found', 'pairing_locked', 'rate_limited', 'kiosk_offline'),
    },
  },
  {
    method: 'post',
    path: '/api/v1/pairing/claim',
    tag: 'pairing',
    summary: 'Trade the code for tokens (a new grant)',
    body: claimBody,
    headers: [header('code', 'the code, when not in the body (seed clients)', claimBody.shape.code)],
    responses: {
      201: json('paired', body.tokenBody),
      ...errors('invalid_request', 'invalid_code', 'code_expired', 'home_not_found', 'pairing_locked', 'too_many_attempts', 'rate_limited'),
    },
  },
  {
    method: 'get',
    path: '/auth/code',
    tag: 'pairing',
    summary: 'Seed-compatible code request (serial and client-name headers)',
    responses: { 200: json('a code was pushed to the kiosks', body.successBody), ...errors('invalid_request', 'home_not_found', 'pairing_locked', 'rate_limited', 'kiosk_offline') },
  },
  {
    method: 'post',
    path: '/auth/codecheck',
    tag: 'pairing',
    summary: 'Seed-compatible claim (code header)',
    body: claimBody,
    responses: { 201: json('paired', body.tokenBody), ...errors('invalid_request', 'invalid_code', 'code_expired', 'too_many_attempts', 'rate_limited', 'pairing_locked') },
  },

  {
    method: 'post',
    path: '/api/v1/tokens/refresh',
    tag: 'grants',
    summary: 'Rotate the refresh token for a new pair; a reused one revokes its grant',
    body: refreshBody,
    responses: { 200: json('a new token pair', body.tokenBody), ...errors('invalid_request', 'invalid_token', 'token_revoked', 'rate_limited') },
  },
  { method: 'get', path: '/api/v1/me', tag: 'grants', bearer: true, summary: 'The caller\'s grant', responses: { 200: json('the grant', body.meBody), ...errors(...authErrors) } },
  {
    method: 'get',
    path: '/api/v1/grants',
    tag: 'grants',
    bearer: true,
    summary: "The home's active grants",
    responses: { 200: json('active grants', body.grantsBody), ...errors(...authErrors) },
  },
  {
    method: 'delete',
    path: '/api/v1/grants/:id',
    tag: 'grants',
    bearer: true,
    summary: 'Revoke a grant of the same home: its tokens and sockets die at once',
    responses: { 204: { description: 'revoked' }, ...errors(...authErrors, 'grant_not_found') },
  },

  { method: 'get', path: '/api/v1/devices', tag: 'devices', bearer: true, summary: "The home's devices", responses: { 200: json('devices', body.devicesBody), ...errors(...authErrors) } },
  {
    method: 'get',
    path: '/api/v1/devices/:id',
    tag: 'devices',
    bearer: true,
    summary: 'One device',
    responses: { 200: json('the device', body.deviceBody), ...errors(...authErrors, 'device_not_found') },
  },
  {
    method: 'post',
    path: '/api/v1/devices/:id/commands',
    tag: 'devices',
    bearer: true,
    summary: 'Send a command and wait for the device to acknowledge it',
    body: commandBody,
    headers: [header('Idempotency-Key', 'a repeat within 24 h returns the first result without sending again', idempotencyKeySchema)],
    responses: {
      200: json('acknowledged by the device', body.commandResultBody),
      ...errors(...authErrors, 'invalid_request', 'unsupported_action', 'device_not_found', 'device_offline', 'command_rejected', 'device_timeout'),
    },
  },

  {
    method: 'delete',
    path: '/api/v1/devices/:id',
    tag: 'devices',
    bearer: true,
    summary: 'Forget a device (full grants); a connected one is disconnected',
    responses: { 204: { description: 'forgotten' }, ...errors(...authErrors, 'insufficient_scope', 'device_not_found') },
  },

  {
    method: 'post',
    path: '/api/v1/guests',
    tag: 'guests',
    bearer: true,
    summary: 'Invite a guest: a single-use code for a scoped, time-limited grant (full grants)',
    body: inviteBody,
    responses: { 201: json('the invite', body.guestInviteBody), ...errors(...authErrors, 'invalid_request', 'insufficient_scope') },
  },
  {
    method: 'post',
    path: '/api/v1/guests/claim',
    tag: 'guests',
    summary: "Trade an invite code for the guest's tokens",
    body: guestClaimBody,
    responses: {
      201: json('the guest grant; scope and notAfter beside the token response', body.tokenBody),
      ...errors('invalid_request', 'invalid_code', 'code_expired', 'pairing_locked', 'too_many_attempts', 'rate_limited'),
    },
  },
  {
    method: 'get',
    path: '/api/v1/audit',
    tag: 'audit',
    bearer: true,
    summary: "The home's hash-chained audit log, a page at a time (full grants)",
    query: auditQuery,
    responses: { 200: json('a page of entries', body.auditPageBody), ...errors(...authErrors, 'invalid_request', 'insufficient_scope') },
  },

  {
    method: 'post',
    path: '/api/v1/qr/sessions',
    tag: 'qr',
    summary: 'Start a QR login for this browser',
    body: createBody,
    responses: { 201: json('the session', body.qrCreatedBody), ...errors('invalid_request', 'rate_limited') },
  },
  {
    method: 'get',
    path: '/api/v1/qr/sessions/:id/events',
    tag: 'qr',
    summary: 'The session as Server-Sent Events (CONNECT, ping, SCANNED, COMPLETE, FAIL; see asyncapi.json)',
    responses: {
      200: { description: 'the event stream', mediaType: 'text/event-stream' },
      204: { description: 'the outcome was already delivered on this stream' },
      ...errors('session_not_found', 'session_completed', 'rate_limited'),
    },
  },
  {
    method: 'head',
    path: '/api/v1/qr/sessions/:id/events',
    tag: 'qr',
    summary: 'What opening the stream would answer, without opening it: takes no stream slot, delivers nothing',
    responses: {
      200: { description: 'a GET would get the event stream (`Content-Type: text/event-stream`); no body' },
      204: { description: 'a GET would get 204: the outcome was already delivered on this stream' },
      ...bodiless(errors('session_not_found', 'session_completed', 'rate_limited')),
    },
  },
  {
    method: 'get',
    path: '/api/v1/qr/sessions/:id/qr.svg',
    tag: 'qr',
    summary: 'The QR code (it encodes approveUrl)',
    responses: { 200: { description: 'SVG image', mediaType: 'image/svg+xml' }, ...errors('session_not_found') },
  },
  {
    method: 'get',
    path: '/api/v1/qr/sessions/:id',
    tag: 'qr',
    bearer: true,
    summary: 'A paired phone inspects a scanned session (by scan id); marks it scanned',
    responses: { 200: json('the session', body.qrSessionBody), ...errors(...authErrors, 'session_not_found') },
  },
  {
    method: 'post',
    path: '/api/v1/qr/sessions/:id/approve',
    tag: 'qr',
    bearer: true,
    summary: 'Approve: the browser gets a new grant in this home',
    body: approveBody,
    responses: { 200: json('approved', body.successBody), ...errors(...authErrors, 'invalid_request', 'session_not_found', 'session_completed') },
  },
  {
    method: 'post',
    path: '/api/v1/qr/sessions/:id/deny',
    tag: 'qr',
    bearer: true,
    summary: 'Deny the session',
    body: denyBody,
    responses: { 200: json('denied', body.successBody), ...errors(...authErrors, 'invalid_request', 'session_not_found', 'session_completed') },
  },
];
