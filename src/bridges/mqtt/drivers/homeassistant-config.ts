import { z } from 'zod';
import { isRecord, parseJson } from '../driver.ts';

/** Home Assistant MQTT discovery config as the relay reads it: long keys, `~` expanded, templates it understands. */

/** The abbreviations (HA "MQTT discovery") of the keys we read. */
const abbreviations: Record<string, string> = {
  stat_t: 'state_topic',
  cmd_t: 'command_topic',
  avty_t: 'availability_topic',
  avty: 'availability',
  pl_avail: 'payload_available',
  pl_not_avail: 'payload_not_available',
  pl_on: 'payload_on',
  pl_off: 'payload_off',
  stat_on: 'state_on',
  stat_off: 'state_off',
  bri_cmd_t: 'brightness_command_topic',
  bri_stat_t: 'brightness_state_topic',
  bri_scl: 'brightness_scale',
  pl_lock: 'payload_lock',
  pl_unlk: 'payload_unlock',
  stat_locked: 'state_locked',
  stat_unlocked: 'state_unlocked',
  temp_cmd_t: 'temperature_command_topic',
  temp_stat_t: 'temperature_state_topic',
  curr_temp_t: 'current_temperature_topic',
  uniq_id: 'unique_id',
  val_tpl: 'value_template',
  stat_val_tpl: 'state_value_template',
  bri_val_tpl: 'brightness_value_template',
  temp_stat_tpl: 'temperature_state_template',
  curr_temp_tpl: 'current_temperature_template',
  dev: 'device',
  t: 'topic',
};

const topic = z.string().min(1).max(256).regex(/^[^#+]+$/);
export const configSchema = z.looseObject({
  name: z.string().max(64).nullish(),
  unique_id: z.string().max(128).optional(),
  device: z.looseObject({ name: z.string().max(64).optional() }).optional(),
  schema: z.string().optional(),
  state_topic: topic.optional(),
  command_topic: topic.optional(),
  availability_topic: topic.optional(),
  availability: z.array(z.looseObject({ topic, payload_available: z.string().optional(), payload_not_available: z.string().optional() })).optional(),
  payload_available: z.string().optional(),
  payload_not_available: z.string().optional(),
  payload_on: z.string().optional(),
  payload_off: z.string().optional(),
  state_on: z.string().optional(),
  state_off: z.string().optional(),
  brightness: z.boolean().optional(),
  brightness_command_topic: topic.optional(),
  brightness_state_topic: topic.optional(),
  brightness_scale: z.number().positive().optional(),
  payload_lock: z.string().optional(),
  payload_unlock: z.string().optional(),
  state_locked: z.string().optional(),
  state_unlocked: z.string().optional(),
  temperature_command_topic: topic.optional(),
  temperature_state_topic: topic.optional(),
  current_temperature_topic: topic.optional(),
  value_template: z.string().max(256).optional(),
  state_value_template: z.string().max(256).optional(),
  brightness_value_template: z.string().max(256).optional(),
  temperature_state_template: z.string().max(256).optional(),
  current_temperature_template: z.string().max(256).optional(),
});
export type Config = z.infer<typeof configSchema>;

/** Long keys for abbreviated ones (nested availability entries too), and `~` expanded in topics. */
export function expand(raw: Record<string, unknown>): Record<string, unknown> {
  const base = typeof raw['~'] === 'string' ? raw['~'] : undefined;
  const long = (record: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(record)) {
      const name = abbreviations[key] ?? key;
      out[name] = base && typeof value === 'string' && (name.endsWith('topic') || name === 'topic') ? value.replace(/^~|~$/, base) : value;
    }
    return out;
  };
  const out = long(raw);
  if (Array.isArray(out.availability)) out.availability = out.availability.map((a) => (isRecord(a) ? long(a) : a));
  return out;
}

/**
 * The one template shape discovery configs use most, `{{ value_json.key }}` (or `value_json['key']`,
 * `value_json.a.b`, `{{ value }}`), evaluated without a template engine; any other template gives
 * undefined (the payload is not understood) rather than a guess.
 */
export function applyTemplate(template: string | undefined, payload: string): string | undefined {
  if (template === undefined) return payload;
  const match = /^\{\{\s*value(_json((?:\.[A-Za-z_][A-Za-z0-9_]*|\[['"][^'"]+['"]\])+))?\s*\}\}$/.exec(template.trim());
  if (!match) return undefined;
  if (!match[1]) return payload;
  let value: unknown = parseJson(payload);
  for (const [, dotted, quoted] of match[2]!.matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)|\[['"]([^'"]+)['"]\]/g)) {
    value = isRecord(value) ? value[(dotted ?? quoted)!] : undefined;
  }
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

