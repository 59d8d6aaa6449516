import { request } from 'node:http';
import { postJson, type TestRelay } from './relay.ts';

export interface CreatedSession {
  sessionId: string;
  scanId: string;
  expiresAt: string;
  keyFingerprint?: string;
  approveUrl: string;
  qrSvgUrl: string;
}

export const sessionUrl = (relay: Pick<TestRelay, 'url'>, id: string, suffix = '') => `${relay.url}/api/v1/qr/sessions/${id}${suffix}`;

/** A new browser asking to be logged in by QR. */
export async function createSession(relay: Pick<TestRelay, 'url'>, body: unknown = {}, headers: Record<string, string> = {}): Promise<CreatedSession> {
  const res = await postJson(`${relay.url}/api/v1/qr/sessions`, body, headers);
  if (res.status !== 201) throw new Error(`qr session request failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as CreatedSession;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Creates a session with a chosen Host header (fetch would not send one), as a hostile client can. */
export function createSessionAs(relay: Pick<TestRelay, 'port'>, host: string): Promise<CreatedSession> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: relay.port, method: 'POST', path: '/api/v1/qr/sessions', headers: { host, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => (res.statusCode === 201 ? resolve(JSON.parse(text)) : reject(new Error(`${res.statusCode} ${text}`))));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}
