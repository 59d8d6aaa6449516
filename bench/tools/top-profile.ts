/**
 * `node --import tsx bench/tools/top-profile.ts <file.cpuprofile> [n] [--last <seconds>]`: where a V8
 * CPU profile's time went, as self time per function and as inclusive time per function and per
 * package or src/ file, so a hot path shows up without opening DevTools. `--last` counts only the
 * profile's final seconds (a SIGTERM drain at the end of a bench run, say).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const lastAt = args.indexOf('--last');
const lastSeconds = lastAt >= 0 ? Number(args.splice(lastAt, 2)[1]) : undefined;
const [file, limitArg] = args;
if (!file || (lastSeconds !== undefined && !(lastSeconds > 0))) {
  console.error('usage: top-profile <file.cpuprofile> [n] [--last <seconds>]');
  process.exit(2);
}
const limit = Number(limitArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** node_modules/<pkg>, src/<file>, or node:internal — the unit a fix would touch. */
function owner(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  const src = /\/(src\/.+|bench\/.+)$/.exec(url);
  if (src?.[1]) return src[1];
  return url ? (url.startsWith('node:') ? 'node:internal' : url) : '(native/vm)';
}

const frameKey = (f: ProfileNode['callFrame']) => `${f.functionName || '(anonymous)'}  ${owner(f.url)}:${f.lineNumber + 1}`;
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const inclusiveByFunction = new Map<string, number>();
const sampleTimes: number[] = [];
let clock = 0;
for (const delta of profile.timeDeltas) {
  clock += delta;
  sampleTimes.push(clock);
}
const from = lastSeconds === undefined ? Number.NEGATIVE_INFINITY : clock - lastSeconds * 1e6;
let total = 0;
profile.samples.forEach((id, i) => {
  if ((sampleTimes[i] ?? 0) < from) return;
  const us = profile.timeDeltas[i] ?? 0;
  total += us;
  const node = byId.get(id);
  if (!node) return;
  const key = frameKey(node.callFrame);
  self.set(key, (self.get(key) ?? 0) + us);
  // Inclusive: count each owner and each function once per sample, however deep it recurs.
  const owners = new Set<string>();
  const functions = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const frame = byId.get(cur)?.callFrame;
    if (!frame) continue;
    owners.add(owner(frame.url));
    functions.add(frameKey(frame));
  }
  for (const o of owners) inclusive.set(o, (inclusive.get(o) ?? 0) + us);
  for (const f of functions) inclusiveByFunction.set(f, (inclusiveByFunction.get(f) ?? 0) + us);
});

const show = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(6)}%  ${key}`);
  }
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled${lastSeconds === undefined ? '' : ` (its last ${lastSeconds} s)`}`);
show('self time by function', self);
show('inclusive time by function', inclusiveByFunction);
show('inclusive time by package / file', inclusive);
