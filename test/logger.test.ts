import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

/** Runs a script against the compiled logger (dist/, kept fresh by the global setup) and collects stdout as it comes. */
function run(script: string): { lines: () => string[]; exited: Promise<number | null>; firstLineAfterMs: Promise<number> } {
  const started = Date.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', `import { createLogger } from './dist/logger.js';\n${script}`], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let resolveFirst: (ms: number) => void = () => {};
  const firstLineAfterMs = new Promise<number>((resolve) => (resolveFirst = resolve));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    resolveFirst(Date.now() - started);
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { lines: () => out.split('\n').filter(Boolean), exited: new Promise((resolve) => child.once('exit', resolve)), firstLineAfterMs };
}

describe('stdout logger (buffered, asynchronous)', () => {
  it('shows a quiet relay’s line within a second, while the process keeps running', async () => {
    const child = run("const log = createLogger('info'); log.info({ serial: 'home-1' }, 'one line'); setTimeout(() => {}, 3000);");
    const after = await child.firstLineAfterMs;
    expect(after).toBeLessThan(2500); // node start-up included; the flush is every 250 ms
    expect(JSON.parse(child.lines()[0] ?? '{}')).toMatchObject({ msg: 'one line', serial: 'home-1' });
    await child.exited;
  });

  it('writes every buffered line when the process exits at once, by process.exit or a crash', async () => {
    const exiting = run("const log = createLogger('info'); for (let i = 0; i < 50; i++) log.info({ i }, 'line'); process.exit(3);");
    expect(await exiting.exited).toBe(3);
    expect(exiting.lines().filter((l) => l.includes('"msg":"line"'))).toHaveLength(50);
    const crashing = run("const log = createLogger('info'); log.error('before the crash'); setTimeout(() => { throw new Error('boom'); }, 10);");
    expect(await crashing.exited).toBe(1);
    expect(crashing.lines().some((l) => l.includes('before the crash'))).toBe(true);
  });

  it('still redacts secrets', async () => {
    const child = run("const log = createLogger('info'); log.info({ token: 'secret-token', nested: { hubKey: 'secret-key' } }, 'x'); process.exit(0);");
    await child.exited;
    const text = child.lines().join('\n');
    expect(text).not.toContain('secret-token');
    expect(text).not.toContain('secret-key');
    expect(text).toContain('[redacted]');
  });
});
