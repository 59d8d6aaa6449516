import { AppError } from '../errors.ts';
import type { Principal } from './service.ts';

/** Managing grants, inviting guests, approving QR logins and reading the audit log need a full grant. */
export function assertFullGrant(principal: Principal): void {
  if (principal.access !== undefined) throw new AppError('insufficient_scope', 'A guest grant cannot do this; ask the home owner.');
}
