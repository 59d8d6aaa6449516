import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runSimulate } from '../src/cli/simulate.ts';
import { createLogger } from '../src/logger.ts';
import { startDemoDevices } from '../src/simulator/demo.ts';
import { startSimulator, type Simulator } from '../src/simulator/index.ts';
import { Thermostat } from '../src/simulator/models/thermostat.ts';
import { command, eventually } from './helpers/devices.ts';
import { closeSockets, connectDashboard, connectSocket, emitAck, getJson, HUB_KEY, nextEvent, pair, startRelay, tempDir, type TestRelay } from './helpers/relay.ts';

let relay: TestRelay | undefined;
let simulator: Simulator | undefined;
afterEach(async () => {
  simulator?.stop();
  simulator = undefined;
  closeSockets();
  await relay?.close();
  relay = undefined;
});

const allOnline = async (r: TestRelay, token: string, count = 4) => {
  const { body } = await getJson(`${r.url}/api/v1/devices`, token);
  return body.devices.length === count && body.devices.every((d: { online: boolean }) => d.online);
};

describe('simulated devices', () => {
  it('connect as real device clients and obey REST commands', async () => {
    relay = await startRelay();
    const r = relay;
    const { token } = await pair(r);
    simulator = startSimulator({ url: r.url, serial: 'home-1', hubKey: HUB_KEY });
    await eventually(() => allOnline(r, token), 5000);
    const { body } = await getJson(`${r.url}/api/v1/devices`, token);
    expect(body.devices.map((d: { type: string }) => d.type)).toEqual(['light', 'lock', 'thermostat', 'plug']);

    const on = await command(r, token, 'living-room-light', { action: 'turn_on' });
    expect(on.status).toBe(200);
    expect(on.body.device.state).toEqual({ on: true, brightness: 80 });
    const dim = await command(r, token, 'living-room-light', { action: 'set_brightness', params: { brightness: 30 } });
    expect(dim.body.device.state).toEqual({ on: true, brightness: 30 });
    const tooBright = await command(r, token, 'living-room-light', { action: 'set_brightness', params: { brightness: 101 } });
    expect([tooBright.status, tooBright.body.error.code]).toEqual([422, 'command_rejected']);

    expect((await command(r, token, 'front-door-lock', { action: 'unlock' })).body.device.state).toEqual({ locked: false, jammed: false });
    await command(r, token, 'front-door-lock', { action: 'jam' });
    const jammed = await command(r, token, 'front-door-lock', { action: 'lock' });
    expect(jammed.status).toBe(422);
    expect(jammed.body.error).toMatchObject({ code: 'command_rejected', message: expect.stringContaining('jammed'), details: { reason: 'jammed' } });
    await command(r, token, 'front-door-lock', { action: 'unjam' });
    expect((await command(r, token, 'front-door-lock', { action: 'lock' })).body.device.state).toEqual({ locked: true, jammed: false });

    for (const target of [4.5, 30.5]) {
      const res = await command(r, token, 'hall-thermostat', { action: 'set_target', params: { target } });
      expect([res.status, res.body.error.code]).toEqual([422, 'command_rejected']);
    }
    expect((await command(r, token, 'hall-thermostat', { action: 'set_target', params: { target: 30 } })).body.device.state.targetC).toBe(30);

    const plug = await command(r, token, 'kitchen-plug', { action: 'turn_on' });
    expect(plug.body.device.state.on).toBe(true);
    expect(plug.body.device.state.powerW).toBeGreaterThan(50);
    const unknown = await command(r, token, 'kitchen-plug', { action: 'set_brightness' });
    expect(unknown.body.error.code).toBe('unsupported_action');
  });

  it('reports drifting readings to dashboards as device:state', async () => {
    relay = await startRelay();
    const { token } = await pair(relay);
    const dashboard = await connectDashboard(relay, token);
    simulator = startSimulator({ url: relay.url, serial: 'home-1', hubKey: HUB_KEY, tickMs: 100, devices: [new Thermostat()] });
    const update = await nextEvent(dashboard, 'device:state', 5000);
    expect(update).toMatchObject({ id: 'hall-thermostat', type: 'thermostat', online: true, state: { targetC: 21, currentC: 19.5, heating: true } });
  });

  it('moves the room temperature towards the target in half-degree steps', () => {
    const t = new Thermostat();
    t.handle('set_target', { target: 20 });
    expect(t.tick()).toBe(true);
    expect(t.state()).toEqual({ targetC: 20, currentC: 19.5, heating: true });
    t.tick();
    expect(t.tick()).toBe(false);
    expect(t.state().heating).toBe(false);
  });
});

describe('relay simulate (CLI)', () => {
  it('runs until stopped, and exits non-zero when the key is wrong or missing', async () => {
    relay = await startRelay();
    const r = relay;
    const { token } = await pair(r);
    const stop = new AbortController();
    const out = new PassThrough();
    out.resume();
    const dataDir = tempDir();
    const running = runSimulate(['--url', r.url, '--serial', 'home-1', '--hub-key', HUB_KEY], { LOG_LEVEL: 'silent', DATA_DIR: dataDir }, { signal: stop.signal, out });
    await eventually(() => allOnline(r, token), 5000);
    stop.abort();
    expect(await running).toBe(0);
    await eventually(async () => (await getJson(`${r.url}/api/v1/devices`, token)).body.devices.every((d: { online: boolean }) => !d.online));

    // The devices enrolled their own keys and saved them: with the hub key refused on /device for
    // the home, a second run without any hub key comes online on those keys alone.
    await r.server.services.homes.setDeviceAuth('home-1', 'keys');
    const again = new AbortController();
    const second = runSimulate(['--url', r.url], { LOG_LEVEL: 'silent', DATA_DIR: dataDir }, { signal: again.signal, out });
    await eventually(() => allOnline(r, token), 5000);
    again.abort();
    expect(await second).toBe(0);

    const err = new PassThrough();
    let written = '';
    err.on('data', (chunk) => (written += String(chunk)));
    expect(await runSimulate(['--url', r.url, '--hub-key', 'wrong-key-0123456789'], { LOG_LEVEL: 'silent', DATA_DIR: tempDir() }, { err, out })).toBe(1);
    expect(written).toContain('invalid_hub_key');
    expect(await runSimulate(['--url', r.url], { DATA_DIR: tempDir() }, { err, out })).toBe(2);
    expect(await runSimulate(['--bogus'], {}, { err, out })).toBe(2);
  });
});

describe('demo devices at start-up', () => {
  it('skips with a warning when their device keys cannot be issued, and not at all with DEMO_DEVICES=false', async () => {
    const lines: string[] = [];
    const sink = new PassThrough();
    sink.on('data', (chunk) => lines.push(String(chunk)));
    const logger = createLogger('warn', sink);
    const failing = async () => {
      throw new Error('no such home');
    };
    expect(await startDemoDevices({ demoDevices: true, host: '0.0.0.0' }, 1, 'home-1', failing, logger)).toBeUndefined();
    expect(await startDemoDevices({ demoDevices: false, host: '0.0.0.0' }, 1, 'home-1', failing, logger)).toBeUndefined();
    await eventually(() => lines.length > 0);
    expect(lines.join('')).toContain('demo devices skipped');
    expect(lines).toHaveLength(1);
  });

  it('are started by `npm start` against the relay itself', async () => {
    const child: ChildProcess = spawn(process.execPath, ['dist/main.js'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', STORE: 'memory', DATA_DIR: tempDir(), HUB_KEY, LOG_LEVEL: 'warn', NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      child.stdout?.on('data', (chunk) => (output += String(chunk)));
      child.stderr?.on('data', (chunk) => (output += String(chunk)));
      await eventually(() => /home-relay on http:\/\/\S+:(\d+)/.test(output), 15_000);
      const port = /home-relay on http:\/\/\S+:(\d+)/.exec(output)?.[1];
      const kiosk = await connectSocket(`http://127.0.0.1:${port}/kiosk`, { serial: 'home-1', hubKey: HUB_KEY });
      await eventually(async () => (await emitAck(kiosk, 'devices:list')).data.devices.filter((d: { online: boolean }) => d.online).length === 4, 10_000);
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    }
  });
});
