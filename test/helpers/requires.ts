import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'vitest';

/** CI runs must prove everything: there a missing dependency fails instead of skipping. */
export const inCi = (): boolean => ['true', '1'].includes(String(process.env.CI ?? '').toLowerCase());

/**
 * The path of an executable, looked up on PATH and then in `fallbacks` (nginx lives in
 * /usr/sbin, which is not on every user's PATH); null when it is not installed.
 */
export function findExecutable(name: string, fallbacks: string[] = []): string | null {
  for (const candidate of [name, ...fallbacks]) {
    if (candidate.includes('/') && !existsSync(candidate)) continue;
    const probe = spawnSync(candidate, name === 'nginx' ? ['-v'] : ['--version'], { stdio: 'ignore' });
    if (!probe.error) return candidate;
  }
  return null;
}

/**
 * `describe` that needs an external program. Present: runs `body`. Missing: skips with the reason
 * printed — or, under CI=true, registers one failing test naming what to install.
 */
export function describeWith(title: string, executable: string | null, install: string, body: (executable: string) => void): void {
  if (executable !== null) {
    describe(title, () => body(executable));
    return;
  }
  const reason = `${install} is not installed (apt-get install ${install})`;
  if (inCi()) {
    describe(title, () => {
      it(`needs ${install}`, () => {
        throw new Error(`${reason}; CI=true turns a missing dependency into a failure`);
      });
    });
    return;
  }
  console.warn(`[skipped] ${title}: ${reason}`);
  describe.skip(title, () => body(''));
}
