import { z } from 'zod';
import { AppError } from './errors.ts';

/** Parses an inbound payload; any problem becomes 400 invalid_request with the field paths. */
export function parsePayload<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new AppError(
    'invalid_request',
    'The request does not match the expected shape.',
    result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  );
}

export const clientNameSchema = z.string().trim().min(1).max(64);
export const serialSchema = z.string().min(1).max(64);
