import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../src/clock.ts';
import { packageRoot, resolveDataDir } from '../src/paths.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { lastLine, relayCli } from './helpers/cli.ts';
import { type MainProcess, startMain, stopAll } from './helpers/main-process.ts';
import { tempDir } from './helpers/relay.ts';

const started: MainProcess[] = [];
afterAll(() => stopAll(started));

describe('one relay server per SQLite DATA_DIR, the CLI beside it', () => {
  it('stops a second server naming the directory, serves the CLI (homes, devices, backup) meanwhile, and frees the lock when the first dies', async () => {
    const dataDir = tempDir('relay-lock-');
    const first = await startMain({ DATA_DIR: dataDir });
    started.push(first);
    // The banner says which store and file this server uses.
    expect(first.output()).toContain(`data:       ${join(dataDir, 'relay.sqlite')}`);

    await expect(startMain({ DATA_DIR: dataDir })).rejects.toThrow(
      new RegExp(`relay exited 75: DATA_DIR ${dataDir} is in use by another relay server \\(pid ${first.child.pid}\\)`),
    );

    const added = await relayCli(['homes', 'add', 'flat-9'], { DATA_DIR: dataDir });
    expect(added.status, added.stderr).toBe(0);
    expect((await relayCli(['devices', 'add', 'flat-9', 'lamp'], { DATA_DIR: dataDir })).status).toBe(0);
    expect((await relayCli(['homes', 'list'], { DATA_DIR: dataDir })).stdout).toContain('flat-9');

    const backupFile = join(tempDir('relay-backup-'), 'relay-backup.sqlite');
    const backedUp = await relayCli(['backup', backupFile], { DATA_DIR: dataDir });
    expect(backedUp.status, backedUp.stderr).toBe(0);
    expect(backedUp.stdout).toContain(`to ${backupFile} (schema version`);
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    // The copy is a complete store: opened as one, it has what the server and the CLI wrote.
    const restored = new SqliteStore(backupFile, new FakeClock(Date.now()));
    expect((await restored.listHomes()).map((h) => h.serial).sort()).toEqual(['flat-9', 'home-1']);
    expect(await restored.getDeviceKey('flat-9', 'lamp')).not.toBeNull();
    await restored.close();
    const again = await relayCli(['backup', backupFile], { DATA_DIR: dataDir });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('never overwrites');

    // SIGKILL leaves no goodbye; the operating system drops the lock with the process.
    first.child.kill('SIGKILL');
    await first.exited;
    const next = await startMain({ DATA_DIR: dataDir });
    started.push(next);
    expect((await fetch(`${next.url}/healthz`)).status).toBe(200);
  });

  it('leaves the lock to SQLite servers: several Redis-less memory relays may share a DATA_DIR for their secrets', async () => {
    const dataDir = tempDir('relay-lock-');
    const a = await startMain({ DATA_DIR: dataDir, STORE: 'memory' });
    const b = await startMain({ DATA_DIR: dataDir, STORE: 'memory' });
    started.push(a, b);
    expect(b.output()).toContain('in memory, lost on exit');
    expect(existsSync(join(dataDir, 'server.lock'))).toBe(false);
  });
});

describe('DATA_DIR is resolved once, from the package root', () => {
  it('resolves a relative DATA_DIR against the package root, not the working directory', () => {
    expect(resolveDataDir('./data')).toBe(join(packageRoot, 'data'));
    expect(resolveDataDir('/srv/relay')).toBe('/srv/relay');
  });

  it('lets the CLI started from another directory reach the running server\'s store', async () => {
    const dataDir = tempDir('relay-where-');
    // A relative DATA_DIR, as an operator writes it in .env; the same string from two working directories.
    const relativeDir = relative(packageRoot, dataDir);
    const server = await startMain({ DATA_DIR: relativeDir });
    started.push(server);
    expect(server.output()).toContain(`data:       ${join(dataDir, 'relay.sqlite')}`);
    // Deep enough that the relative path would land somewhere else if taken from the working directory.
    const elsewhere = join(tempDir('relay-cwd-'), 'a', 'b', 'c');
    mkdirSync(elsewhere, { recursive: true });
    const shown = await relayCli(['homes', 'show-key', 'home-1'], { DATA_DIR: relativeDir }, elsewhere);
    expect(shown.status, shown.stderr).toBe(0);
    expect(server.output()).toContain(`key=${lastLine(shown.stdout)}`);
    expect(existsSync(join(elsewhere, relativeDir))).toBe(false); // no second store made there
  });
});
