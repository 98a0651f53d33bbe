/**
 * The aborts of the `seal_policies` Move package, keyed by module + `#[error]` constant name
 * (what gRPC/GraphQL report) and module + `#[error(code = N)]` code (all JSON-RPC gives: its
 * full node decodes the clever abort code and reports only N), matched only in our package.
 * Codes and names mirror move/sources/*.move; keep them in sync when a constant is added.
 */

import { normalizeSuiAddress } from '@mysten/sui/utils';

import type { AbortClassifier, KnownAbort } from '../chain/transactions.js';
import type { PolicyModule } from './modules.js';
import { MoveAbortError } from '../chain/errors.js';

/** `allowlist::EWrongCap`: the cap administers a different allowlist. */
export class WrongCapError extends MoveAbortError {
	override name = 'WrongCapError';
}

/** `allowlist::EDuplicateMember`: the address is already a member. */
export class DuplicateMemberError extends MoveAbortError {
	override name = 'DuplicateMemberError';
}

/** `allowlist::ENotMember`: the address is not a member. */
export class NotMemberError extends MoveAbortError {
	override name = 'NotMemberError';
}

/** `allowlist::ENoAccess` / `owner::ENoAccess`: `seal_approve` denied the sender. */
export class PolicyNoAccessError extends MoveAbortError {
	override name = 'PolicyNoAccessError';
}

/** `allowlist::EWrongVersion`: the object's version differs from the package's; migrate it. */
export class WrongVersionError extends MoveAbortError {
	override name = 'WrongVersionError';
}

/** `allowlist::EAlreadyMigrated`: the object is already at the package's version. */
export class AlreadyMigratedError extends MoveAbortError {
	override name = 'AlreadyMigratedError';
}

export interface PolicyAbort extends KnownAbort {
	module: PolicyModule;
	code: number;
}

export const POLICY_ABORTS: readonly PolicyAbort[] = [
	{
		module: 'allowlist',
		constantName: 'EWrongCap',
		code: 1,
		errorClass: WrongCapError,
		hint: 'the cap administers a different allowlist; use the AllowlistCap created with this allowlist',
	},
	{
		module: 'allowlist',
		constantName: 'EDuplicateMember',
		code: 2,
		errorClass: DuplicateMemberError,
		hint: 'the address is already a member of this allowlist',
	},
	{
		module: 'allowlist',
		constantName: 'ENotMember',
		code: 3,
		errorClass: NotMemberError,
		hint: 'the address is not a member of this allowlist',
	},
	{
		module: 'allowlist',
		constantName: 'ENoAccess',
		code: 4,
		errorClass: PolicyNoAccessError,
		hint: 'access denied: the sender is not a member or the id is outside this allowlist namespace',
	},
	{
		module: 'allowlist',
		constantName: 'EWrongVersion',
		code: 5,
		errorClass: WrongVersionError,
		hint: "the allowlist's version differs from the package's; run `seal-policies allowlist migrate`",
	},
	{
		module: 'allowlist',
		constantName: 'EAlreadyMigrated',
		code: 6,
		errorClass: AlreadyMigratedError,
		hint: 'the allowlist is already at the current package version',
	},
	{
		module: 'owner',
		constantName: 'ENoAccess',
		code: 1,
		errorClass: PolicyNoAccessError,
		hint: 'access denied: only the address in the first 32 bytes of the id may decrypt',
	},
];

/** Where an abort came from, as far as the transport says. */
export interface AbortOrigin {
	/** Package in the abort location (original id or an upgraded id, depending on the node). */
	packageId?: string | undefined;
	/**
	 * Every id of our package (original and each upgrade). When given, an abort only maps to a
	 * policy error if `packageId` is one of them: another package's `allowlist` module is not
	 * ours. Without it, module + name/code decide (callers that do not know the package).
	 */
	policyPackageIds?: readonly string[] | undefined;
}

/**
 * The known abort for a module and constant name, or (when the transport gave no name) for the
 * module and `#[error(code = N)]` code. Undefined for anything else, e.g. framework aborts or
 * a module of the same name in another package.
 */
export function findPolicyAbort(
	module: string | undefined,
	constantName: string | undefined,
	errorCode: number | undefined,
	origin: AbortOrigin = {},
): PolicyAbort | undefined {
	if (module === undefined) return undefined;
	if (!isOurPackage(origin)) return undefined;
	if (constantName !== undefined) {
		return POLICY_ABORTS.find((a) => a.module === module && a.constantName === constantName);
	}
	if (errorCode !== undefined) {
		return POLICY_ABORTS.find((a) => a.module === module && a.code === errorCode);
	}
	return undefined;
}

function isOurPackage({ packageId, policyPackageIds }: AbortOrigin): boolean {
	if (policyPackageIds === undefined || policyPackageIds.length === 0) return true;
	if (packageId === undefined) return false;
	const id = normalizeSuiAddress(packageId);
	return policyPackageIds.some((ours) => normalizeSuiAddress(ours) === id);
}

/**
 * The executor's classifier for our package: with `policyPackageIds` (original id and every
 * upgrade), only aborts located in one of them are mapped; without, module + name/code decide.
 */
export function policyAbortClassifier(policyPackageIds?: readonly string[]): AbortClassifier {
	return (details) =>
		findPolicyAbort(details.module, details.constantName, details.errorCode, {
			packageId: details.packageId,
			policyPackageIds,
		});
}
