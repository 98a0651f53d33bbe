/**
 * The namespace allowlist policy (`seal_policies::allowlist`): pure transaction builders,
 * executors (sign + execute + parse effects) and a reader for an allowlist's state.
 *
 * Builders take object inputs as anything `tx.object()` accepts: an id string (the client
 * resolves it when building) or a fully-resolved reference (`Inputs.SharedObjectRef(...)`,
 * `Inputs.ObjectRef(...)`), which builds offline with `onlyTransactionKind: true`.
 */
import { bcs } from '@mysten/sui/bcs';
import type { SuiClientTypes } from '@mysten/sui/client';
import type { Signer } from '@mysten/sui/cryptography';
import { Transaction, type TransactionObjectInput } from '@mysten/sui/transactions';
import { normalizeSuiAddress, parseStructTag } from '@mysten/sui/utils';

import { InvalidInputError } from '../errors.js';
import { ObjectReadError } from '../chain/errors.js';
import { normalizeObjectId } from '../identity.js';
import { silentLogger, type Logger } from '../logger.js';
import type { SuiClient } from '../chain/sui-client.js';
import { executeTransaction, findCreatedObject } from '../chain/transactions.js';
import { policyAbortClassifier } from './errors.js';
import { ALLOWLIST_MODULE, moveTarget } from './modules.js';

export { ALLOWLIST_MODULE };

/** Longest allowlist name the harness accepts (a name is a label, not data). */
export const MAX_ALLOWLIST_NAME_BYTES = 256;

// === Builders (pure) ===

interface BuilderBase {
	/** Package to call: the latest (upgraded) id, so the newest code runs. */
	packageId: string;
	/** Append to this transaction instead of a new one. */
	tx?: Transaction;
}

/**
 * One transaction that creates a complete allowlist: `allowlist::new(name)`, `add` for each of
 * `members` (the creator is a member already), `share`, and transfer of the cap to `owner`. The
 * list is shared only after its members are in, so nobody sees a half-built list.
 */
export function createAllowlistTx({
	packageId,
	name,
	owner,
	members = [],
	tx = new Transaction(),
}: BuilderBase & { name: string; owner: string; members?: readonly string[] }): Transaction {
	const checkedName = checkAllowlistName(name);
	const recipient = normalizeObjectId(owner, 'owner');
	const extra = members.map((member, i) => normalizeObjectId(member, `members[${i}]`));
	const [allowlist, cap] = tx.moveCall({
		target: target(packageId, 'new'),
		arguments: [tx.pure.string(checkedName)],
	});
	for (const member of extra) {
		tx.moveCall({
			target: target(packageId, 'add'),
			arguments: [allowlist!, cap!, tx.pure.address(member)],
		});
	}
	tx.moveCall({ target: target(packageId, 'share'), arguments: [allowlist!] });
	tx.transferObjects([cap!], tx.pure.address(recipient));
	return tx;
}

/** `allowlist::create_and_keep(name)`: the entry convenience (the sender keeps the cap). */
export function createAndKeepAllowlistTx({
	packageId,
	name,
	tx = new Transaction(),
}: BuilderBase & { name: string }): Transaction {
	tx.moveCall({
		target: target(packageId, 'create_and_keep'),
		arguments: [tx.pure.string(checkAllowlistName(name))],
	});
	return tx;
}

interface MemberChange extends BuilderBase {
	allowlist: TransactionObjectInput;
	cap: TransactionObjectInput;
	member: string;
}

/** `allowlist::add(allowlist, cap, member)`. */
export function addMemberTx(options: MemberChange): Transaction {
	return memberChangeTx('add', options);
}

/** `allowlist::remove(allowlist, cap, member)`. */
export function removeMemberTx(options: MemberChange): Transaction {
	return memberChangeTx('remove', options);
}

function memberChangeTx(
	fn: 'add' | 'remove',
	{ packageId, allowlist, cap, member, tx = new Transaction() }: MemberChange,
): Transaction {
	tx.moveCall({
		target: target(packageId, fn),
		arguments: [
			tx.object(allowlist),
			tx.object(cap),
			tx.pure.address(normalizeObjectId(member, 'member')),
		],
	});
	return tx;
}

/** `allowlist::migrate(allowlist, cap)`: bump the allowlist to the package's version. */
export function migrateTx({
	packageId,
	allowlist,
	cap,
	tx = new Transaction(),
}: BuilderBase & { allowlist: TransactionObjectInput; cap: TransactionObjectInput }): Transaction {
	tx.moveCall({
		target: target(packageId, 'migrate'),
		arguments: [tx.object(allowlist), tx.object(cap)],
	});
	return tx;
}

// === Executors ===

interface ExecutorBase {
	client: SuiClient;
	signer: Signer;
	packageId: string;
	logger?: Logger;
	/**
	 * Every id of the package (original + upgrades; default `[packageId]`): aborts located in
	 * one of them become typed errors (`NotMemberError`, ...), others stay `MoveAbortError`.
	 */
	policyPackageIds?: readonly string[];
}

export interface CreatedAllowlist {
	allowlistId: string;
	capId: string;
	digest: string;
}

/**
 * Creates an allowlist in one transaction: the signer is its first member and receives the cap;
 * `members` are added before the list is shared.
 */
export async function createAllowlist({
	client,
	signer,
	packageId,
	name,
	members = [],
	logger = silentLogger,
	policyPackageIds = [packageId],
}: ExecutorBase & { name: string; members?: readonly string[] }): Promise<CreatedAllowlist> {
	const transaction = createAllowlistTx({
		packageId,
		name,
		owner: signer.toSuiAddress(),
		members,
	});
	const executed = await executeTransaction({
		client,
		signer,
		transaction,
		logger,
		label: `create allowlist '${name}'`,
		classifyAbort: policyAbortClassifier(policyPackageIds),
	});
	return {
		allowlistId: findCreatedObject(executed, { module: ALLOWLIST_MODULE, name: 'Allowlist' }),
		capId: findCreatedObject(executed, { module: ALLOWLIST_MODULE, name: 'AllowlistCap' }),
		digest: executed.digest,
	};
}

interface CapExecutor extends ExecutorBase {
	allowlistId: string;
	capId: string;
}

/** Adds `member`; a member already present fails with `DuplicateMemberError`. */
export async function addMember(
	options: CapExecutor & { member: string },
): Promise<{ digest: string }> {
	return executeWithCap(options, `add ${options.member}`, (refs) =>
		addMemberTx({ ...refs, member: options.member }),
	);
}

/** Removes `member`; an address that is not a member fails with `NotMemberError`. */
export async function removeMember(
	options: CapExecutor & { member: string },
): Promise<{ digest: string }> {
	return executeWithCap(options, `remove ${options.member}`, (refs) =>
		removeMemberTx({ ...refs, member: options.member }),
	);
}

/** Migrates the allowlist to the package's version (`AlreadyMigratedError` when it is). */
export async function migrateAllowlist(options: CapExecutor): Promise<{ digest: string }> {
	return executeWithCap(options, 'migrate', migrateTx);
}

/** Builds a cap-gated call on normalised ids, signs and executes it. */
async function executeWithCap(
	options: CapExecutor,
	label: string,
	build: (refs: { packageId: string; allowlist: string; cap: string }) => Transaction,
): Promise<{ digest: string }> {
	const { client, signer, packageId, allowlistId, capId, logger = silentLogger } = options;
	const policyPackageIds = options.policyPackageIds ?? [packageId];
	const transaction = build({
		packageId,
		allowlist: normalizeObjectId(allowlistId, 'allowlistId'),
		cap: normalizeObjectId(capId, 'capId'),
	});
	const { digest } = await executeTransaction({
		client,
		signer,
		transaction,
		logger,
		label,
		classifyAbort: policyAbortClassifier(policyPackageIds),
	});
	return { digest };
}

// === Reader ===

/** On-chain layout of `Allowlist` (field order matters for BCS). */
export const AllowlistBcs = bcs.struct('Allowlist', {
	id: bcs.Address,
	version: bcs.u64(),
	name: bcs.string(),
	members: bcs.struct('Table', { id: bcs.Address, size: bcs.u64() }),
	member_count: bcs.u64(),
});

const AllowlistCreatedBcs = bcs.struct('AllowlistCreated', {
	allowlist_id: bcs.Address,
	name: bcs.string(),
	creator: bcs.Address,
});

const MemberChangedBcs = bcs.struct('MemberChanged', {
	allowlist_id: bcs.Address,
	member: bcs.Address,
	actor: bcs.Address,
});

export type AllowlistEvent =
	| {
			kind: 'AllowlistCreated';
			name: string;
			creator: string;
			digest: string;
			checkpoint: string | null;
	  }
	| {
			kind: 'MemberAdded' | 'MemberRemoved';
			member: string;
			actor: string;
			digest: string;
			checkpoint: string | null;
	  };

export interface AllowlistState {
	id: string;
	/** Package that defines the type (the original id). */
	packageId: string;
	name: string;
	version: bigint;
	memberCount: bigint;
	members: string[];
	/** Newest first; undefined when the node cannot list events (see `eventsUnavailable`). */
	recentEvents: AllowlistEvent[] | undefined;
	/** Why `recentEvents` is missing, e.g. the node does not serve event queries. */
	eventsUnavailable: string | undefined;
}

export interface ReadAllowlistOptions {
	client: SuiClient;
	allowlistId: string;
	/** When given, the object's type must come from this (original) package. */
	packageId?: string;
	/** Membership events to return (default 20; 0 skips the event query). */
	eventLimit?: number;
	/** Event pages (of 50) to scan for this allowlist's events (default 10). */
	maxEventPages?: number;
}

/**
 * Reads an allowlist: name, version, member count, every member (paginating the members table's
 * dynamic fields) and its recent membership events. Events need a node that serves event
 * queries: gRPC `LedgerService.ListEvents` or JSON-RPC `suix_queryEvents`; when it does not,
 * `recentEvents` is undefined and `eventsUnavailable` says why.
 */
export async function readAllowlist({
	client,
	allowlistId,
	packageId,
	eventLimit = 20,
	maxEventPages = 10,
}: ReadAllowlistOptions): Promise<AllowlistState> {
	const id = normalizeObjectId(allowlistId, 'allowlistId');
	let object: SuiClientTypes.Object<{ content: true }>;
	try {
		({ object } = await client.core.getObject({ objectId: id, include: { content: true } }));
	} catch (error) {
		throw new ObjectReadError(id, `cannot read the allowlist: ${(error as Error).message}`, {
			cause: error,
		});
	}
	const definingPackage = allowlistTypePackage(object.type, id);
	if (packageId !== undefined && definingPackage !== normalizeObjectId(packageId, 'packageId')) {
		throw new ObjectReadError(
			id,
			`is an allowlist of package ${definingPackage}, not of ${packageId} (use the original package id)`,
		);
	}
	const fields = AllowlistBcs.parse(object.content);
	const members = await listMembers(client, fields.members.id);
	const events =
		eventLimit > 0
			? await recentAllowlistEvents(client, definingPackage, id, eventLimit, maxEventPages)
			: { events: [], unavailable: undefined };
	return {
		id,
		packageId: definingPackage,
		name: fields.name,
		version: BigInt(fields.version),
		memberCount: BigInt(fields.member_count),
		members,
		recentEvents: events.events,
		eventsUnavailable: events.unavailable,
	};
}

/** Every key of the members `Table<address, bool>` (its dynamic fields), page by page. */
async function listMembers(client: SuiClient, tableId: string): Promise<string[]> {
	const members: string[] = [];
	let cursor: string | null = null;
	do {
		const page: SuiClientTypes.ListDynamicFieldsResponse = await client.core.listDynamicFields({
			parentId: tableId,
			cursor,
			limit: 50,
		});
		for (const field of page.dynamicFields) members.push(bcs.Address.parse(field.name.bcs));
		cursor = page.hasNextPage ? page.cursor : null;
	} while (cursor !== null);
	return members.sort();
}

async function recentAllowlistEvents(
	client: SuiClient,
	packageId: string,
	allowlistId: string,
	limit: number,
	maxPages: number,
): Promise<{ events: AllowlistEvent[] | undefined; unavailable: string | undefined }> {
	const events: AllowlistEvent[] = [];
	let before: string | null = null;
	try {
		for (let page = 0; page < maxPages && events.length < limit; page++) {
			const response: SuiClientTypes.ListEventsResponse = await client.core.listEvents({
				// Every event type defined in the module; types carry the original package id.
				filter: { eventType: `${packageId}::${ALLOWLIST_MODULE}` },
				order: 'descending',
				limit: 50,
				...(before === null ? {} : { before }),
			});
			for (const entry of response.events) {
				const event = parseAllowlistEvent(entry, allowlistId);
				if (event) events.push(event);
				if (events.length >= limit) break;
			}
			if (!response.hasNextPage || response.endCursor === null) break;
			before = response.endCursor;
		}
	} catch (error) {
		return { events: undefined, unavailable: `event query failed: ${(error as Error).message}` };
	}
	return { events, unavailable: undefined };
}

/** An allowlist event about `allowlistId`, or undefined for other events / allowlists. */
export function parseAllowlistEvent(
	entry: SuiClientTypes.Event & { transactionDigest: string; checkpoint: string | null },
	allowlistId: string,
): AllowlistEvent | undefined {
	let kind: string;
	try {
		kind = parseStructTag(entry.eventType).name;
	} catch {
		return undefined;
	}
	const base = { digest: entry.transactionDigest, checkpoint: entry.checkpoint };
	if (kind === 'AllowlistCreated') {
		const data = AllowlistCreatedBcs.parse(entry.bcs);
		if (data.allowlist_id !== allowlistId) return undefined;
		return { kind, name: data.name, creator: data.creator, ...base };
	}
	if (kind === 'MemberAdded' || kind === 'MemberRemoved') {
		const data = MemberChangedBcs.parse(entry.bcs);
		if (data.allowlist_id !== allowlistId) return undefined;
		return { kind, member: data.member, actor: data.actor, ...base };
	}
	return undefined;
}

function allowlistTypePackage(type: string, id: string): string {
	try {
		const tag = parseStructTag(type);
		if (
			tag.module === ALLOWLIST_MODULE &&
			tag.name === 'Allowlist' &&
			tag.typeParams.length === 0
		) {
			return normalizeSuiAddress(tag.address);
		}
	} catch {
		// fall through to the error below
	}
	throw new ObjectReadError(id, `is a ${type}, not a seal_policies allowlist`);
}

function target(packageId: string, fn: string): string {
	return moveTarget(packageId, ALLOWLIST_MODULE, fn);
}

/** `name` when it is 1 to `MAX_ALLOWLIST_NAME_BYTES` bytes of UTF-8; else `InvalidInputError`. */
export function checkAllowlistName(name: string, field = 'name'): string {
	const bytes = new TextEncoder().encode(name).length;
	if (bytes === 0 || bytes > MAX_ALLOWLIST_NAME_BYTES) {
		throw new InvalidInputError(
			field,
			`expected 1 to ${MAX_ALLOWLIST_NAME_BYTES} bytes of UTF-8, got ${bytes}`,
		);
	}
	return name;
}
