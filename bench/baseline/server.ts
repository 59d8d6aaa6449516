/**
 * The bare baseline: Express 5 + Socket.IO 4 written the way the seed project did it, so the
 * relay's numbers have something honest to be compared with. Deliberately naive: one global
 * code broadcast to every socket, jsonwebtoken with a *string* secret, no validation, no store,
 * no logging, no metrics. It is a yardstick, not an example. Reads PORT and JWT_SECRET only.
 */
import { randomInt } from 'node:crypto';
import { createServer } from 'node:http';
import express from 'express';
import jwt from 'jsonwebtoken';
import { Server, type Socket } from 'socket.io';

const port = Number(process.env.PORT ?? 3001);
const secret = process.env.JWT_SECRET ?? 'baseline-secret-0123456789abcdef0123456789';

const app = express();
const httpServer = createServer(app);
const io = new Server(httpServer, { perMessageDeflate: false });

let currentCode: string | null = null;
const devices = new Map<string, { socket: Socket; name: string; type: string; actions: string[]; state: Record<string, unknown> }>();

const deviceView = (id: string) => {
  const d = devices.get(id);
  return d && { id, name: d.name, type: d.type, actions: d.actions, online: true, state: d.state, updatedAt: new Date().toISOString() };
};

/** The seed's auth check: jwt.verify with the string secret on every request. */
function authed(req: express.Request, res: express.Response): jwt.JwtPayload | null {
  try {
    return jwt.verify(String(req.headers.authorization ?? '').replace('Bearer ', ''), secret) as jwt.JwtPayload;
  } catch {
    res.status(401).json({ success: false });
    return null;
  }
}

app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});

app.get('/auth/code', (_req, res) => {
  currentCode = randomInt(0, 1_000_000).toString().padStart(6, '0');
  io.emit('code', { code: currentCode });
  res.json({ success: true });
});

app.post('/auth/codecheck', (req, res) => {
  if (!currentCode || req.headers.code !== currentCode) {
    res.status(401).json({ success: false });
    return;
  }
  currentCode = null;
  const token = jwt.sign({ api_serial: 'home-1' }, secret, { expiresIn: '30h' });
  res.status(201).json({ success: true, token });
});

app.get('/me', (req, res) => {
  const claims = authed(req, res);
  if (claims) res.json({ serial: claims.api_serial, expiresAt: new Date((claims.exp ?? 0) * 1000).toISOString() });
});

app.get('/devices', (req, res) => {
  if (authed(req, res)) res.json({ devices: [...devices.keys()].map(deviceView) });
});

app.post('/devices/:id/commands', express.json(), (req, res) => {
  if (!authed(req, res)) return;
  const id = String(req.params.id);
  const device = devices.get(id);
  if (!device) {
    res.status(404).json({ success: false });
    return;
  }
  const commandId = randomInt(0, 2 ** 47).toString(36);
  device.socket.timeout(5000).emit('command', { commandId, action: req.body?.action, params: req.body?.params ?? {} }, (err: Error | null, reply: { ok: boolean; state?: Record<string, unknown> }) => {
    if (err || !reply?.ok) {
      res.status(err ? 504 : 422).json({ success: false });
      return;
    }
    device.state = reply.state ?? device.state;
    res.json({ commandId, device: deviceView(id) });
  });
});

io.on('connection', (socket) => {
  const auth = socket.handshake.auth as { deviceId?: string; name?: string; type?: string; actions?: string[]; state?: Record<string, unknown> };
  if (!auth.deviceId) return;
  const id = auth.deviceId;
  devices.set(id, { socket, name: auth.name ?? id, type: auth.type ?? 'generic', actions: auth.actions ?? [], state: auth.state ?? {} });
  socket.on('state', (payload: { state?: Record<string, unknown> }) => {
    const device = devices.get(id);
    if (!device) return;
    device.state = { ...device.state, ...payload?.state };
    io.emit('device:state', deviceView(id));
  });
  socket.on('disconnect', () => {
    if (devices.get(id)?.socket === socket) devices.delete(id);
  });
});

httpServer.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  void io.close(() => process.exit(0));
});
