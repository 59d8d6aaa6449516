import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { num, ratio, target, verdict } from './format.ts';
import type { Machine } from './machine.ts';
import type { ScenarioResult } from './types.ts';

const START = '<!-- bench:results:start (written by npm run bench; edit outside these markers) -->';
const END = '<!-- bench:results:end -->';

export function markdownResults(results: readonly ScenarioResult[], machine: Machine, date: string, mode: string): string {
  const lines = [
    `Run: ${date} (${mode}). Machine: ${machine.nproc} cores, ${machine.cpu}, ${machine.memoryGiB} GiB RAM, Node ${machine.node}, Linux ${machine.kernel}.`,
    `1-minute load average ${machine.loadAverage.start.toFixed(2)} at the start, ${machine.loadAverage.end?.toFixed(2) ?? '?'} at the end (other work shares these cores: expect noise).`,
    '',
    '| scenario | metric | relay | baseline | relay / baseline | target | |',
    '|---|---|---:|---:|---:|---|---|',
  ];
  for (const result of results) {
    if (result.rows.length === 0) {
      lines.push(`| ${result.name} | ${result.status}: ${result.reason ?? ''} | | | | | |`);
      continue;
    }
    for (const r of result.rows) {
      lines.push(`| ${result.name} | ${r.metric} (${r.unit}) | ${num(r.relay, r.unit)} | ${num(r.baseline, r.unit)} | ${ratio(r)} | ${target(r)} | ${verdict(r)} |`);
    }
    if (result.status === 'failed') lines.push(`| ${result.name} | failed: ${result.reason ?? ''} | | | | | |`);
  }
  const notes = results.flatMap((r) => r.notes.map((n) => `- ${r.name}: ${n}`));
  if (notes.length) lines.push('', ...notes);
  return lines.join('\n');
}

/** Replaces the generated block of docs/benchmarks.md, leaving the prose around it alone. */
export function writeMarkdownResults(path: string, block: string): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const generated = `${START}\n${block}\n${END}`;
  const next = start >= 0 && end > start ? current.slice(0, start) + generated + current.slice(end + END.length) : `${current.trimEnd()}\n\n${generated}\n`;
  writeFileSync(path, next);
}
