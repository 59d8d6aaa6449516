import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, toAppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { redactPath } from './observe.ts';

export const notFound: RequestHandler = (_req, _res, next) => next(new AppError('not_found'));

/** body-parser's errors carry a `type`; map them onto the contract's codes. */
function fromBodyParser(err: unknown): AppError | null {
  if (typeof err !== 'object' || err === null || !('type' in err)) return null;
  switch ((err as { type: unknown }).type) {
    case 'entity.too.large':
      return new AppError('payload_too_large', 'The request body is larger than 16 KiB.');
    case 'entity.parse.failed':
      return new AppError('invalid_request', 'The request body is not valid JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new AppError('invalid_request', 'The request body could not be read.');
    default:
      return null;
  }
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
