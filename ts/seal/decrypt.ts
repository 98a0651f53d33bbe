/**
 * Decrypt one or many Seal-encrypted objects. Many ids are served by ONE `fetchKeys` per chunk
 * of at most 100 unique ids (the key server's command limit), after which every object of the
 * chunk decrypts from the SealClient's key cache without further requests.
 *
 * With an `audit` recorder, every fetch attempt is recorded per identity (granted / denied /
 * error) before any object of it is decrypted; if the record cannot be written, nothing is
 * returned and the plaintexts decrypted so far are zeroed.
 */
import {
	EncryptedObject,
	type DecryptOptions,
	type FetchKeysOptions,
	type SessionKey,
} from '@mysten/seal';
import type { ClientWithCoreApi } from '@mysten/sui/client';
import type { AuditAction } from '../audit/log.js';
import { InvalidInputError } from '../errors.js';
import { scanSealObject } from '../crypto/node/format.js';
import { fromHex, normalizeObjectId, toHex } from '../identity.js';
import type { Logger } from '../logger.js';
import {
	MAX_APPROVE_COMMANDS,
	allowlistIdOfInnerId,
	buildApproveTxBytes,
	type ApproveTarget,
} from './approve.js';
import { explainSealError } from '../crypto/seal-errors.js';
import { auditedFetch, type KeyAccessRecorder } from './key-access-audit.js';
import { withVisibilityRetry, type RetryOptions } from './retry.js';
import type { SessionKeyRenewer } from './session.js';

export type PolicyKind = 'allowlist' | 'owner';

/** The part of `SealClient` decryption uses (a SealClient satisfies it). */
export interface SealKeyClient {
	fetchKeys(options: FetchKeysOptions): Promise<void>;
	decrypt(options: DecryptOptions): Promise<Uint8Array>;
}

/** One Seal `EncryptedObject` (untagged bytes) and the policy that guards its identity. */
export interface DecryptItem {
	data: Uint8Array;
	policy: PolicyKind;
}

/** Builds approval `txBytes` for a chunk of identities. */
export type ApproveTxBuilder = (targets: ApproveTarget[]) => Promise<Uint8Array>;

/** The usual builder: calls `packageId` (latest version), resolving object inputs with `client`. */
export function approveTxBuilder(options: {
	packageId: string;
	client: ClientWithCoreApi;
}): ApproveTxBuilder {
	return (targets) =>
		buildApproveTxBytes({ packageId: options.packageId, targets, client: options.client });
}

export interface BatchDecryptOptions {
	sealClient: SealKeyClient;
	/** A fixed key, or a renewer that swaps in a fresh key before the current one expires. */
	session: SessionKey | Pick<SessionKeyRenewer, 'current'>;
	items: readonly DecryptItem[];
	buildTxBytes: ApproveTxBuilder;
	/** Unique ids per fetchKeys call; 1..100, default 100. */
	chunkSize?: number;
	retry?: RetryOptions;
	logger?: Logger;
	/** Access log for key fetches (e.g. an `AuditLog`); its failures abort the decryption. */
	audit?: KeyAccessRecorder;
	/**
	 * Check that every key share of each object is consistent (the SDK's
	 * `checkShareConsistency`), so that an encryptor who is not trusted cannot make readers
	 * with different key servers see different plaintexts. Costs one pairing per share.
	 */
	checkShareConsistency?: boolean;
}

/** Parsed facts of an item, computed once. */
interface Parsed {
	item: DecryptItem;
	packageId: string;
	id: string;
	threshold: number;
	servers: string[];
}

/** Plaintexts in the order of `items`. Throws a HarnessError that says what to do on failure. */
export async function batchDecrypt(options: BatchDecryptOptions): Promise<Uint8Array[]> {
	const chunkSize = options.chunkSize ?? MAX_APPROVE_COMMANDS;
	if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_APPROVE_COMMANDS) {
		throw new InvalidInputError(
			'chunkSize',
			`must be an integer from 1 to ${MAX_APPROVE_COMMANDS}`,
		);
	}
	const parsed = options.items.map(parseItem);
	const results: Uint8Array[] = new Array<Uint8Array>(parsed.length);
	try {
		for (const chunk of chunkIds(parsed, chunkSize)) {
			await decryptChunk(options, chunk, results);
		}
	} catch (error) {
		// No partial results: wipe what was decrypted before the failure.
		for (const plaintext of results) plaintext?.fill(0);
		throw error;
	}
	return results;
}

/** One `fetchKeys` for the chunk's ids (recorded when auditing), then its objects from cache. */
async function decryptChunk(
	options: BatchDecryptOptions,
	chunk: IdChunk,
	results: Uint8Array[],
): Promise<void> {
	const sessionKey = await currentKey(options.session);
	checkPackage(chunk.items, sessionKey);
	const txBytes = await options.buildTxBytes(chunk.targets);
	const threshold = Math.max(...chunk.items.map(({ parsed: p }) => p.threshold));
	const context = {
		address: sessionKey.getAddress(),
		servers: chunk.items[0]?.parsed.servers ?? [],
		threshold,
	};
	// Per identity: the key servers its object was encrypted for.
	const serversOf = new Map<string, string[]>();
	for (const { parsed: p } of chunk.items) if (!serversOf.has(p.id)) serversOf.set(p.id, p.servers);
	const access = {
		action: 'decrypt' as const,
		address: context.address,
		packageId: sessionKey.getPackageId(),
		innerIds: chunk.ids,
		servers: (i: number) => serversOf.get(chunk.ids[i] ?? '') ?? [],
		threshold,
	};
	options.logger?.debug(`fetching keys for ${chunk.ids.length} ids (threshold ${threshold})`);
	try {
		await withVisibilityRetry(
			() =>
				auditedFetch(options.audit, access, () =>
					options.sealClient.fetchKeys({ ids: chunk.ids, txBytes, sessionKey, threshold }),
				),
			{ ...options.retry, what: `keys for ${chunk.ids.length} ids` },
		);
		for (const { index, parsed: p } of chunk.items) {
			results[index] = await options.sealClient.decrypt({
				data: p.item.data,
				sessionKey,
				txBytes,
				...(options.checkShareConsistency ? { checkShareConsistency: true } : {}),
			});
		}
	} catch (error) {
		throw explainSealError(error, context);
	}
}

/** Decrypts one object (a batch of one). */
export async function sealDecrypt(
	options: Omit<BatchDecryptOptions, 'items' | 'chunkSize'> & DecryptItem,
): Promise<Uint8Array> {
	const [plaintext] = await batchDecrypt({
		...options,
		items: [{ data: options.data, policy: options.policy }],
	});
	if (plaintext === undefined) throw new Error('unreachable: batch of one returned nothing');
	return plaintext;
}

export interface UnlockOptions {
	sealClient: Pick<SealKeyClient, 'fetchKeys'>;
	sessionKey: SessionKey;
	policy: PolicyKind;
	innerId: Uint8Array;
	threshold: number;
	buildTxBytes: ApproveTxBuilder;
	servers?: readonly string[];
	retry?: RetryOptions;
	/** Access log for the key fetch; its failures abort the unlock. */
	audit?: KeyAccessRecorder;
	/** What the key is fetched for, as recorded in the access log (default `decrypt`). */
	action?: AuditAction;
}

/**
 * Fetches the keys for one identity into the client's cache (with the visibility retry) and
 * returns the approval `txBytes`; a later `decrypt` of that identity needs no request. Used for
 * envelopes, whose data key is one Seal object.
 */
export async function unlockIdentity(options: UnlockOptions): Promise<Uint8Array> {
	const id = toHex(options.innerId);
	const target = targetOf({ id, policy: options.policy });
	const txBytes = await options.buildTxBytes([target]);
	const access = {
		action: options.action ?? 'decrypt',
		address: options.sessionKey.getAddress(),
		packageId: options.sessionKey.getPackageId(),
		innerIds: [id],
		servers: () => options.servers ?? [],
		threshold: options.threshold,
	};
	try {
		await withVisibilityRetry(
			() =>
				auditedFetch(options.audit, access, () =>
					options.sealClient.fetchKeys({
						ids: [id],
						txBytes,
						sessionKey: options.sessionKey,
						threshold: options.threshold,
					}),
				),
			{ ...options.retry, what: 'the key of 1 id' },
		);
	} catch (error) {
		throw explainSealError(error, {
			address: options.sessionKey.getAddress(),
			servers: options.servers ?? [],
			threshold: options.threshold,
		});
	}
	return txBytes;
}

export interface IdChunk {
	/** Unique inner ids (hex, no 0x) of this chunk, in first-seen order. */
	ids: string[];
	targets: ApproveTarget[];
	/** The items (with their position in the input) whose id is in this chunk. */
	items: { index: number; parsed: Parsed }[];
}

/** Groups items into chunks of at most `chunkSize` unique ids (equal ids share one key). */
export function chunkIds(parsed: readonly Parsed[], chunkSize: number): IdChunk[] {
	const chunks: IdChunk[] = [];
	const chunkOfId = new Map<string, IdChunk>();
	parsed.forEach((p, index) => {
		let chunk = chunkOfId.get(p.id);
		if (chunk === undefined) {
			let last = chunks.at(-1);
			if (last === undefined || last.ids.length >= chunkSize) {
				last = { ids: [], targets: [], items: [] };
				chunks.push(last);
			}
			chunk = last;
			chunk.ids.push(p.id);
			chunk.targets.push(targetOf({ id: p.id, policy: p.item.policy }));
			chunkOfId.set(p.id, chunk);
		}
		chunk.items.push({ index, parsed: p });
	});
	return chunks;
}

/** The policy of an inner id when the caller did not say: the owner policy iff it names `address`. */
export function guessPolicy(innerIdHex: string, address: string): PolicyKind {
	const prefix = innerIdHex.replace(/^0x/, '').slice(0, 64);
	return `0x${prefix}` === normalizeObjectId(address, 'address') ? 'owner' : 'allowlist';
}

/** Parses the Seal object; exported for tests and the CLI. */
export function parseItem(item: DecryptItem): Parsed {
	let object: ReturnType<typeof EncryptedObject.parse>;
	try {
		// Linear, bounded pre-scan: the SDK parser alone is quadratic on forged ULEB lengths.
		scanSealObject(item.data);
		object = EncryptedObject.parse(item.data);
	} catch (error) {
		throw new InvalidInputError('data', 'is not a Seal encrypted object (BCS parse failed)', {
			cause: error,
		});
	}
	return {
		item,
		packageId: normalizeObjectId(object.packageId, 'packageId'),
		id: object.id.replace(/^0x/, '').toLowerCase(),
		threshold: object.threshold,
		servers: object.services.map(([objectId]) => objectId),
	};
}

function targetOf({ id, policy }: { id: string; policy: PolicyKind }): ApproveTarget {
	const innerId = fromHex(id, 'innerId');
	return policy === 'owner'
		? { policy: 'owner', innerId }
		: { policy: 'allowlist', innerId, allowlistId: allowlistIdOfInnerId(innerId) };
}

function checkPackage(items: IdChunk['items'], sessionKey: SessionKey): void {
	const sessionPackage = normalizeObjectId(sessionKey.getPackageId(), 'sessionKey.packageId');
	for (const { parsed: p } of items) {
		if (p.packageId !== sessionPackage) {
			throw new InvalidInputError(
				'data',
				`was encrypted under package ${p.packageId} but the session key is for ${sessionPackage}; create the session key with the package's original id`,
			);
		}
	}
}

async function currentKey(session: BatchDecryptOptions['session']): Promise<SessionKey> {
	return 'current' in session ? session.current() : session;
}
