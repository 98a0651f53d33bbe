/**
 * Names in the `seal_policies` Move package that the harness calls or parses: one place, so a
 * rename in move/sources/*.move is one edit here.
 */
import { normalizeObjectId } from '../identity.js';

export const ALLOWLIST_MODULE = 'allowlist';
export const OWNER_MODULE = 'owner';
export const APPROVE_FUNCTION = 'seal_approve';

export type PolicyModule = typeof ALLOWLIST_MODULE | typeof OWNER_MODULE;

/** `<package>::<module>::<function>` with the package id normalised. */
export function moveTarget(packageId: string, module: PolicyModule, fn: string): string {
	return `${normalizeObjectId(packageId, 'packageId')}::${module}::${fn}`;
}
