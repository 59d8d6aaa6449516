/**
 * `node --import tsx bench/tools/top-profile.ts <file.cpuprofile> [n]`: where a V8 CPU profile's
 * time went, as self time per function and as inclusive time per package or src/ file, so a hot
 * path shows up without opening DevTools.
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

const [file, limitArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: top-profile <file.cpuprofile> [n]');
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

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const us = profile.timeDeltas[i] ?? 0;
  total += us;
  const node = byId.get(id);
  if (!node) return;
  const f = node.callFrame;
  const key = `${f.functionName || '(anonymous)'}  ${owner(f.url)}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + us);
  // Inclusive per owner: count each owner once per sample, however deep it recurs.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const o = owner(byId.get(cur)?.callFrame.url ?? '');
    if (!seen.has(o)) {
      seen.add(o);
      inclusive.set(o, (inclusive.get(o) ?? 0) + us);
    }
  }
});

const show = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(6)}%  ${key}`);
  }
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
show('self time by function', self);
show('inclusive time by package / file', inclusive);
