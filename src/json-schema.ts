import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

/**
 * A zod schema as the API documents embed it: JSON Schema 2020-12 (what OpenAPI 3.1 and AsyncAPI 3
 * take) without its own $schema line. `input` describes what a request may send, `output` what a
 * response carries.
 */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}
