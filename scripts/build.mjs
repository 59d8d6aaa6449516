// Compiles src/ to dist/ (tsconfig.build.json), from a clean dist/.
//   node scripts/build.mjs             npm run build
//   node scripts/build.mjs --prepare   npm's "prepare" script (npm ci / npm install): builds when the
//                                      TypeScript compiler is installed; an install without dev dependencies
//                                      (npm ci --omit=dev) only checks that a dist/ built beforehand is there
//   node scripts/build.mjs --if-stale  the test suite's global setup: builds only when a source is newer
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (path) => `${root}${path}`;
const stamp = at('dist/.built');
const flags = new Set(process.argv.slice(2));

function newestSource() {
  let newest = Math.max(statSync(at('tsconfig.json')).mtimeMs, statSync(at('tsconfig.build.json')).mtimeMs);
  for (const entry of readdirSync(at('src'), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(`${entry.parentPath}/${entry.name}`).mtimeMs);
  }
  return newest;
}

if (flags.has('--if-stale') && existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource()) process.exit(0);

let tsc;
try {
  const manifest = createRequire(import.meta.url).resolve('typescript/package.json');
  tsc = join(dirname(manifest), 'bin', 'tsc');
} catch {
  tsc = undefined;
}
if (!tsc) {
  if (flags.has('--prepare') && existsSync(at('dist/main.js'))) {
    console.log('prepare: no TypeScript compiler (dev dependencies omitted); using the dist/ already built');
    process.exit(0);
  }
  console.error('dist/ cannot be built: the TypeScript compiler is not installed (npm ci --omit=dev?).');
  console.error('  Build where dev dependencies are installed (npm ci && npm run build), then ship dist/ with the package.');
  process.exit(1);
}

// A clean tree: a source removed from src/ must not live on as a stale module in dist/.
rmSync(at('dist'), { recursive: true, force: true });
const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);
writeFileSync(stamp, `${new Date().toISOString()}\n`);
