import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { tempDir } from './helpers/relay.ts';
import { describeWith, findExecutable } from './helpers/requires.ts';

const unitPath = new URL('../deploy/home-relay.service', import.meta.url);

/** deploy/home-relay.service as systemd reads it; only the node binary is this machine's, where it differs. */
function renderedUnit(): string {
  const dir = tempDir('relay-unit-');
  const file = join(dir, 'home-relay.service');
  const unit = readFileSync(unitPath, 'utf8');
  expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node /m);
  writeFileSync(file, unit.replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `));
  return file;
}

describeWith('the systemd unit (deploy/home-relay.service)', findExecutable('systemd-analyze'), 'systemd', (systemdAnalyze) => {
  it('passes systemd-analyze verify without a single warning', () => {
    const verified = spawnSync(systemdAnalyze, ['verify', renderedUnit()], { encoding: 'utf8' });
    // verify exits 0 on unknown keys and unparsable values; it only warns. A warning is a mistake here.
    expect(verified.stderr + verified.stdout).toBe('');
    expect(verified.status).toBe(0);
  });

  it('is hardened: systemd-analyze security rates its exposure at most 2 of 10', () => {
    const rated = spawnSync(systemdAnalyze, ['security', '--offline=yes', '--no-pager', renderedUnit()], { encoding: 'utf8' });
    const exposure = /Overall exposure level for home-relay\.service: ([\d.]+)/.exec(rated.stdout)?.[1];
    expect(exposure, rated.stdout + rated.stderr).toBeDefined();
    expect(Number(exposure)).toBeLessThanOrEqual(2);
  });
});
