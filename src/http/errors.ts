import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, toAppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { redactPath } from './observe.ts';

export const notFound: RequestHandler = (_req, _res, next) => next(new AppError('not_found'));

const tooLarge = () => new AppError('payload_too_large', 'The request body is larger than 16 KiB.');
const unreadableBody = () => new AppError('invalid_request', 'The request body could not be read.');

/** body-parser's errors carry a `type`; map them onto the contract's codes. */
function fromBodyParser(err: unknown): AppError | null {
  if (typeof err !== 'object' || err === null) return null;
  switch ((err as { type?: unknown }).type) {
    case 'entity.too.large':
      return tooLarge();
    case 'entity.parse.failed':
      return new AppError('invalid_request', 'The request body is not valid JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return unreadableBody();
    default:
      return fromClientHttpError(err);
  }
}

/**
 * Other errors of reading a body that http-errors marks as the client's (`expose`, a 4xx status):
 * a body that does not inflate as its Content-Encoding says arrives as zlib's error with status 400.
 */
function fromClientHttpError(err: object): AppError | null {
  const { expose, status, statusCode } = err as { expose?: unknown; status?: unknown; statusCode?: unknown };
  const code = typeof status === 'number' ? status : statusCode;
  if (expose !== true || typeof code !== 'number' || code < 400 || code > 499) return null;
  return code === 413 ? tooLarge() : unreadableBody();
}

/** Every error leaves as contract JSON; unknown ones are logged and answered as a bare 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const appError = err instanceof AppError ? err : fromBodyParser(err);
    const final = appError ?? toAppError(err);
    if (!appError) logger.error({ err, method: req.method, path: redactPath(req.path) }, 'unhandled error');
    if (res.headersSent) {
      res.end();
      return;
    }
    if (final.headers) res.set(final.headers);
    res.status(final.status).json({ error: final.toJSON() });
  };
}
