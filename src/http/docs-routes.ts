import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router } from 'express';
import type { Config } from '../config.ts';
import { packageRoot } from '../paths.ts';
import { asyncApiDocument } from '../realtime/asyncapi.ts';
import { apiOperations } from './api-operations.ts';
import { openApiDocument } from './openapi.ts';

const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** `/api/v1/openapi.json` and `/api/v1/asyncapi.json`, built once per app from the schemas the relay validates with. */
export function docsRoutes(config: Pick<Config, 'publicUrl'>): Router {
  const router = Router();
  let openApi: string | undefined;
  let asyncApi: string | undefined;
  router.get('/api/v1/openapi.json', (_req, res) => {
    openApi ??= JSON.stringify(openApiDocument(apiOperations, { version, serverUrl: config.publicUrl }));
    res.type('application/json').send(openApi);
  });
  router.get('/api/v1/asyncapi.json', (_req, res) => {
    asyncApi ??= JSON.stringify(asyncApiDocument({ version }));
    res.type('application/json').send(asyncApi);
  });
  return router;
}
