import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;

/**
 * Tests that start the relay or its CLI in a child process run what operators run: dist/ (npm start,
 * bin/relay), which also starts in about half the time tsx needs. It is rebuilt here whenever a
 * source is newer, so no test ever runs a stale build. (Under `vitest --watch` this runs once: restart
 * the watcher after changing sources that child processes run.)
 */
export default function buildDist(): void {
  const built = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: root, encoding: 'utf8' });
  if (built.status === 0) return;
  // Type errors still emit JavaScript: let the tests run it (typecheck is its own, failing, step).
  if (existsSync(`${root}dist/main.js`)) {
    console.warn(`[global-setup] tsc reported errors; child processes run the JavaScript it emitted anyway:\n${built.stdout}${built.stderr}`);
    return;
  }
  throw new Error(`could not build dist/ for the tests that start the relay:\n${built.stdout}${built.stderr}`);
}
