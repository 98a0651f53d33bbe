/**
 * Approval PTBs for the two policies, built so the key server accepts them (SEAL_NOTES §3.1):
 * only MoveCalls to `<package>::<module>::seal_approve`, first argument the inner id as a pure
 * `vector<u8>`, every argument a direct input, at most 100 commands, and the bytes built with
 * `onlyTransactionKind` (the SDK strips the kind tag before signing).
 */
import { Transaction } from '@mysten/sui/transactions';
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { InvalidInputError } from '../errors.js';
import { normalizeObjectId, parseAllowlistInnerId } from '../identity.js';
import {
	ALLOWLIST_MODULE,
	APPROVE_FUNCTION,
	OWNER_MODULE,
	moveTarget,
} from '../policies/modules.js';

export { APPROVE_FUNCTION, OWNER_MODULE };

/** Mysten's key server rejects PTBs with more commands than this. */
export const MAX_APPROVE_COMMANDS = 100;

/** One identity to approve, with what its policy's `seal_approve` needs. */
export type ApproveTarget =
	| {
			policy: 'allowlist';
			innerId: Uint8Array;
			allowlistId: string;
			/** When known, the object input is fully resolved and no client is needed to build. */
			initialSharedVersion?: number | string;
	  }
	| { policy: 'owner'; innerId: Uint8Array };

export interface ApproveOptions {
	/** Package to call: the latest version (the key server maps it back to the original id). */
	packageId: string;
	targets: readonly ApproveTarget[];
}

/** A Transaction with one `seal_approve` call per target (duplicates of an object share one input). */
export function buildApproveTransaction(options: ApproveOptions): Transaction {
	const { targets } = options;
	if (targets.length === 0) {
		throw new InvalidInputError('targets', 'an approval PTB needs at least one identity');
	}
	if (targets.length > MAX_APPROVE_COMMANDS) {
		throw new InvalidInputError(
			'targets',
			`${targets.length} identities exceed the key server's limit of ${MAX_APPROVE_COMMANDS} per request; split them (batchDecrypt does this)`,
		);
	}
	const packageId = normalizeObjectId(options.packageId);
	const tx = new Transaction();
	for (const target of targets) {
		const id = tx.pure.vector('u8', Array.from(target.innerId));
		if (target.policy === 'owner') {
			tx.moveCall({
				target: moveTarget(packageId, OWNER_MODULE, APPROVE_FUNCTION),
				arguments: [id],
			});
			continue;
		}
		const allowlistId = normalizeObjectId(target.allowlistId);
		const allowlist =
			target.initialSharedVersion === undefined
				? tx.object(allowlistId)
				: tx.sharedObjectRef({
						objectId: allowlistId,
						initialSharedVersion: target.initialSharedVersion,
						mutable: false,
					});
		tx.moveCall({
			target: moveTarget(packageId, ALLOWLIST_MODULE, APPROVE_FUNCTION),
			arguments: [id, allowlist],
		});
	}
	return tx;
}

/**
 * The `txBytes` the SDK wants: transaction-kind bytes only (no sender, gas or expiration).
 * `client` resolves object inputs given by id; it may be omitted when every object input
 * carries its `initialSharedVersion`.
 */
export async function buildApproveTxBytes(
	options: ApproveOptions & { client?: ClientWithCoreApi },
): Promise<Uint8Array> {
	const tx = buildApproveTransaction(options);
	return tx.build({
		onlyTransactionKind: true,
		...(options.client === undefined ? {} : { client: options.client }),
	});
}

/** The allowlist id an allowlist inner id names (its first 32 bytes). */
export function allowlistIdOfInnerId(innerId: Uint8Array): string {
	return parseAllowlistInnerId(innerId).allowlistId;
}
