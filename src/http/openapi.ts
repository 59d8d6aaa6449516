import type { z } from 'zod';
import { type JsonSchema, jsonSchemaOf } from '../json-schema.ts';
import type { ApiOperation } from './api-operations.ts';

/** `/api/v1/devices/:id` → `/api/v1/devices/{id}` */
export const openApiPath = (expressPath: string): string => expressPath.replace(/:(\w+)/g, '{$1}');

function operationObject(op: ApiOperation): JsonSchema {
  const pathParams = [...op.path.matchAll(/:(\w+)/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  const headerParams = (op.headers ?? []).map((h) => ({ name: h.name, in: 'header', required: false, description: h.description, schema: jsonSchemaOf(h.schema, 'input') }));
  const queryParams = Object.entries(op.query?.shape ?? {}).map(([name, schema]) => ({ name, in: 'query', required: false, schema: jsonSchemaOf(schema as z.ZodType, 'input') }));
  const responses = Object.fromEntries(
    Object.entries(op.responses).map(([status, r]) => [
      status,
      {
        description: r.description,
        ...(r.schema ? { content: { 'application/json': { schema: jsonSchemaOf(r.schema, 'output') } } } : {}),
        ...(r.mediaType ? { content: { [r.mediaType]: {} } } : {}),
      },
    ]),
  );
  return {
    summary: op.summary,
    tags: [op.tag],
    operationId: `${op.method} ${op.path}`,
    ...(op.bearer ? { security: [{ bearer: [] }] } : {}),
    ...(pathParams.length + headerParams.length + queryParams.length > 0 ? { parameters: [...pathParams, ...queryParams, ...headerParams] } : {}),
    // Bodies are optional on the wire where every field is (an empty POST is {}).
    ...(op.body ? { requestBody: { required: false, content: { 'application/json': { schema: jsonSchemaOf(op.body, 'input') } } } } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document, built from the zod schemas the routes validate with. */
export function openApiDocument(operations: readonly ApiOperation[], info: { version: string; serverUrl?: string | undefined }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const op of operations) paths[openApiPath(op.path)] = { ...paths[openApiPath(op.path)], [op.method]: operationObject(op) };
  return {
    openapi: '3.1.0',
    info: {
      title: 'home-relay',
      version: info.version,
      description: 'Pairing, grants, device commands and QR login for smart homes. Contract: API.md; extensions: docs/api-extensions.md.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
  };
}
