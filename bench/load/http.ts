import { Agent, request } from 'node:http';

export interface JsonResponse {
  status: number;
  body: any;
}

/**
 * A minimal keep-alive JSON client on node:http. fetch (undici) adds a few hundred µs per call,
 * which would blur the server-side differences the sequential scenarios are there to show.
 */
export class HttpClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });

  constructor(private readonly baseUrl: string) {}

  send(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<JsonResponse> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { ...options.headers };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.baseUrl), { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : null;
          } catch {
            // not JSON: keep the text for the error message
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', reject);
      });
      req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no response within 10 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Throws with the body when the status is not the expected one: a benchmark of errors measures nothing. */
export function expectStatus(res: JsonResponse, status: number, what: string): JsonResponse {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}
