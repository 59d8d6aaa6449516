import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError, type ErrorCode } from '../errors.ts';

/** Node's own reasons for refusing a request before Express sees it, as contract codes. */
const codeFor = (nodeCode: string | undefined): ErrorCode =>
  nodeCode === 'HPE_HEADER_OVERFLOW' ? 'header_too_large' : nodeCode === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request_timeout' : 'invalid_request';

const reasons: Partial<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/**
 * Requests Node's parser refuses (headers over its 16 KiB limit, a garbled request line) get a
 * JSON error like every other response, instead of Node's bare status line with an empty body.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A reset or timeout leaves nobody to answer; a socket already answering must not get a second status line.
    if (err.code === 'ECONNRESET' || !socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    const error = new AppError(codeFor(err.code));
    const body = JSON.stringify({ error: error.toJSON() });
    socket.end(
      `HTTP/1.1 ${error.status} ${reasons[error.status] ?? 'Bad Request'}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}
