import { postJson, type TestRelay } from './relay.ts';

export interface CreatedSession {
  sessionId: string;
  expiresAt: string;
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
