/**
 * `npm run bench [-- --quick] [-- --only <name>]`: each scenario against the relay and a bare
 * Express + Socket.IO baseline, both as child processes, load from other child processes.
 * A full run writes bench/results/latest.json and the table in docs/benchmarks.md; quick or
 * partial runs write bench/results/partial.json.tmp (ignored by git) so they never replace them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './args.ts';
import { installCleanup, stopAllChildren } from './lib/children.ts';
import { detectFeatures } from './lib/features.ts';
import { profileRelayInto } from './lib/servers.ts';
import { describeMachine, oneMinuteLoad } from './report/machine.ts';
import { markdownResults, writeMarkdownResults } from './report/markdown.ts';
import { textTable } from './report/table.ts';
import type { ScenarioResult } from './report/types.ts';
import { scenarios } from './scenarios/index.ts';

const path = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2), scenarios.map((s) => s.name));
  if (args.help) {
    console.log(`usage: npm run bench [-- --quick] [-- --only ${scenarios.map((s) => s.name).join('|')}] [-- --cpu-prof <dir>]`);
    return 0;
  }
  installCleanup();
  if (args.cpuProf) profileRelayInto(resolve(args.cpuProf));
  const selected = scenarios.filter((s) => !args.only || args.only.includes(s.name));
  const mode = `${args.quick ? 'quick' : 'full'}${args.only ? `, only ${args.only.join(',')}` : ''}${args.cpuProf ? ', relay under --cpu-prof' : ''}`;
  const machine = describeMachine();
  const date = new Date().toISOString();
  console.log(`home-relay bench (${mode}) — ${machine.nproc} cores, ${machine.cpu}, Node ${machine.node}, load ${machine.loadAverage.start.toFixed(2)}`);

  const features = await detectFeatures();
  console.log(`relay features on this branch: devices ${features.devices ? 'yes' : 'no'}, QR login ${features.qr ? 'yes' : 'no'}`);
  const results: ScenarioResult[] = [];
  for (const scenario of selected) {
    process.stdout.write(`• ${scenario.name}: ${scenario.title} … `);
    const started = performance.now();
    let result: ScenarioResult;
    try {
      const outcome = await scenario.run({ quick: args.quick, features });
      result = { name: scenario.name, title: scenario.title, ...outcome, seconds: (performance.now() - started) / 1000 };
    } catch (err) {
      // One broken scenario must not hide the others' numbers; children of this one are cleaned up here.
      await stopAllChildren();
      const reason = err instanceof Error ? err.message : String(err);
      result = { name: scenario.name, title: scenario.title, status: 'failed', reason, rows: [], notes: [], seconds: (performance.now() - started) / 1000 };
    }
    console.log(result.status === 'ok' ? `${result.seconds.toFixed(1)} s` : `${result.status}: ${result.reason}`);
    results.push(result);
  }
  machine.loadAverage.end = oneMinuteLoad();

  console.log(`\n${textTable(results)}\n`);
  for (const r of results) for (const note of r.notes) console.log(`  ${r.name}: ${note}`);

  const report = { date, mode, machine, results };
  mkdirSync(path('results'), { recursive: true });
  if (args.quick || args.only || args.cpuProf) {
    writeFileSync(path('results/partial.json.tmp'), `${JSON.stringify(report, null, 2)}\n`);
    console.log('\nwrote bench/results/partial.json.tmp (a quick or partial run does not replace latest.json)');
  } else {
    writeFileSync(path('results/latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeMarkdownResults(path('../docs/benchmarks.md'), markdownResults(results, machine, date, mode));
    console.log('\nwrote bench/results/latest.json and docs/benchmarks.md');
  }
  return results.some((r) => r.status === 'failed') ? 1 : 0;
}

main().then(
  async (code) => {
    await stopAllChildren();
    process.exit(code);
  },
  async (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    await stopAllChildren();
    process.exit(2);
  },
);
