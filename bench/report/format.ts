import type { Row } from './types.ts';

export function num(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return '–';
  if (unit === 'req/s' || unit === '/s') return value >= 100 ? Math.round(value).toString() : value.toFixed(1);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export const ratio = (r: Row): string => (r.ratio === null ? '–' : `${r.ratio.toFixed(2)}×`);

export const target = (r: Row): string => (r.target ? `${r.target.op === '<=' ? '≤' : '≥'} ${r.target.ratio}×` : '');

export const verdict = (r: Row): string => (r.met === undefined ? '' : r.met ? 'met' : 'MISSED');
