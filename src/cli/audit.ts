import { AuditService } from '../audit/service.ts';
import type { AuditDraft } from '../audit/types.ts';
import { cliOrigin } from '../audit/types.ts';
import { systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import type { CliIo } from './io.ts';

type Env = Record<string, string | undefined>;

export const auditUsage = `  audit verify <serial>        check the home's audit chain; exits 1 naming the first broken entry
  audit list <serial> [--after N] [--limit N]
                               print audit entries as JSON lines`;

/** The CLI writes to the same log the servers do, as actor "cli", and waits for it before closing the store. */
export async function recordByCli(store: Store, config: Config, serial: string, draft: Omit<AuditDraft, 'actor' | 'channel'>): Promise<void> {
  const audit = cliAuditService(store, config);
  audit.record(serial, { ...cliOrigin, ...draft });
  await audit.settled(serial);
}

function cliAuditService(store: Store, config: Config): AuditService {
  return new AuditService({
    backend: store.audit,
    clock: systemClock,
    logger: createLogger('error', process.stderr),
    retentionMs: config.auditRetentionMs,
  });
}

export async function auditCommand(args: string[], env: Env, io: CliIo): Promise<number> {
  const [sub, serial, ...rest] = args;
  if ((sub !== 'verify' && sub !== 'list') || !serial) {
    io.err(`Usage:\n${auditUsage}`);
    return 64;
  }
  const config = loadConfig(env);
  const store = await openStore(config, systemClock);
  try {
    const audit = cliAuditService(store, config);
    if (sub === 'list') {
      const after = Number(option(rest, '--after') ?? 0);
      const limit = Number(option(rest, '--limit') ?? 100);
      const page = await audit.list(serial, Number.isSafeInteger(after) ? after : 0, Number.isSafeInteger(limit) ? limit : 100);
      for (const entry of page.entries) io.out(JSON.stringify(entry));
      return 0;
    }
    const verdict = await audit.verify(serial);
    if (!verdict.ok) {
      io.err(`Audit log of "${serial}" is BROKEN at entry ${verdict.brokenSeq}: ${verdict.reason} (${verdict.checked} entries before it are intact).`);
      return 1;
    }
    io.out(
      verdict.checked === 0
        ? `Audit log of "${serial}" is empty.`
        : `Audit log of "${serial}" is intact: ${verdict.checked} entries, seq ${verdict.from}..${verdict.to}.`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}
