/**
 * `node --import tsx bench/tools/idle-heap.ts [sockets]` (default 5,000): where per-socket memory
 * goes. Runs the idle-socket mix of issue 16 against a relay started with
 * --heapsnapshot-signal, takes a heap snapshot at 0 sockets and one with all connected, and prints
 * the retained self size per object kind (V8 type + constructor) that grew, per socket.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCleanup } from '../lib/children.ts';
import { measureIdleHomes, perSocketKb } from '../lib/idle-homes.ts';
import { sleep } from '../lib/stats.ts';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size summed per "type:name" (closures by function name, objects by constructor). */
export function sizesByKind(file: string): Map<string, { bytes: number; count: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const types = snap.snapshot.meta.node_types[0];
  const out = new Map<string, { bytes: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt] as number] as string;
    const rawName = type === 'string' || type === 'concatenated string' || type === 'sliced string' ? '' : (snap.strings[snap.nodes[i + nameAt] as number] ?? '');
    const key = `${type}:${rawName.slice(0, 60)}`;
    const entry = out.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += snap.nodes[i + sizeAt] as number;
    entry.count += 1;
    out.set(key, entry);
  }
  return out;
}

async function snapshotNow(dir: string, pid: number): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 600; i++) {
    await sleep(500);
    const fresh = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    // Written in one go; done when its size stops changing.
    if (fresh[0]) {
      const path = join(dir, fresh[0]);
      const size = statSync(path).size;
      await sleep(1000);
      if (statSync(path).size === size && size > 0) return path;
    }
  }
  throw new Error('no heap snapshot within 5 minutes');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  installCleanup();
  const count = Number(process.argv[2] ?? 5000);
  const dir = mkdtempSync(join(tmpdir(), 'idle-heap-'));
  const files: string[] = [];
  const m = await measureIdleHomes({
    count,
    ratePerSec: 2000,
    commandMs: 500,
    relayExecArgv: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`],
    beforeConnect: async (pid) => void files.push(await snapshotNow(dir, pid)),
    whileConnected: async (pid) => void files.push(await snapshotNow(dir, pid)),
  });
  const [empty, full] = files.map(sizesByKind) as [ReturnType<typeof sizesByKind>, ReturnType<typeof sizesByKind>];
  const grown = [...full].map(([kind, after]) => {
    const was = empty.get(kind) ?? { bytes: 0, count: 0 };
    return { kind, bytes: after.bytes - was.bytes, count: after.count - was.count };
  });
  grown.sort((a, b) => b.bytes - a.bytes);
  const total = grown.reduce((sum, g) => sum + Math.max(0, g.bytes), 0);
  console.log(`${m.connected} sockets; RSS ${perSocketKb(m).toFixed(1)} KB/socket; JS heap grew ${(total / 1024 / m.connected).toFixed(2)} KB/socket (self sizes)`);
  console.log('bytes/socket  objects/socket  kind');
  for (const g of grown.slice(0, 40)) console.log(`${(g.bytes / m.connected).toFixed(0).padStart(12)}  ${(g.count / m.connected).toFixed(2).padStart(14)}  ${g.kind}`);
  console.log(`snapshots: ${files.join(' ')}`);
}
