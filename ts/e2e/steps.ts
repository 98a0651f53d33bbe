/**
 * The building blocks of the end-to-end flow. Every access check uses a FRESH SealClient and
 * session key: the SDK caches keys per client, which would hide what the servers decide now.
 */
import type { SealClient } from '@mysten/seal';
import type { Keypair } from '@mysten/sui/cryptography';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { readFile } from 'node:fs/promises';
import { setTimeout as pause } from 'node:timers/promises';
import { verifyAuditLog, type AuditAction, type AuditOutcome } from '../audit/log.js';
import type { KeyServerEntry } from '../chain/networks.js';
import {
	collectBytes,
	decryptEnvelope,
	readEnvelopeHeader,
	rewrapEnvelope,
	type OpenedEnvelope,
} from '../crypto/node/envelope.js';
import { HarnessError } from '../errors.js';
import { SealAccessDeniedError } from '../crypto/seal-errors.js';
import { readBlob } from '../crypto/node/format.js';
import { addMember, createAllowlist, removeMember } from '../policies/allowlist.js';
import { createSealClient } from '../seal/client.js';
import {
	approveTxBuilder,
	batchDecrypt,
	sealDecrypt,
	unlockIdentity,
	type PolicyKind,
} from '../seal/decrypt.js';
import { encryptForTargetEnvelope, sealEncrypt, type EncryptTarget } from '../seal/encrypt.js';
import { createSessionKey } from '../seal/session.js';
import type { E2eEnvironment } from './environment.js';

export interface Namespace {
	allowlistId: string;
	capId: string;
}

/** A new allowlist owned by the admin (each test makes its own so tests never interfere). */
export async function createNamespace(env: E2eEnvironment, name: string): Promise<Namespace> {
	const created = await createAllowlist({ ...asAdmin(env), name });
	return { allowlistId: created.allowlistId, capId: created.capId };
}

export async function addNamespaceMember(
	env: E2eEnvironment,
	ns: Namespace,
	member: string,
): Promise<void> {
	await addMember({ ...asAdmin(env), ...ns, member });
}

export async function removeNamespaceMember(
	env: E2eEnvironment,
	ns: Namespace,
	member: string,
): Promise<void> {
	await removeMember({ ...asAdmin(env), ...ns, member });
}

/** The admin calling the latest policy package (aborts in either id map to typed errors). */
function asAdmin(env: E2eEnvironment) {
	return {
		client: env.client,
		signer: env.admin,
		packageId: env.packages.latestId,
		policyPackageIds: [env.packages.originalId, env.packages.latestId],
		logger: env.logger,
	};
}

/** A fresh session key for `user` on the policy package (the SDK wants the original id). */
function sessionFor(env: E2eEnvironment, user: Keypair) {
	return createSessionKey({
		suiClient: env.client,
		signer: user,
		packageId: env.packages.originalId,
	});
}

/** Approval transactions against the latest policy package. */
function approvals(env: E2eEnvironment) {
	return approveTxBuilder({ packageId: env.packages.latestId, client: env.client });
}

/** A new account (funded where the network has a faucet we may use; decrypting needs no gas). */
export async function newAccount(env: E2eEnvironment): Promise<Keypair> {
	const account = Ed25519Keypair.generate();
	if (env.fund) await env.fund(account.toSuiAddress());
	return account;
}

interface ServerChoice {
	servers?: readonly KeyServerEntry[];
	threshold?: number;
	/** Counts key-server requests (wraps the global fetch). */
	fetch?: typeof fetch;
}

/** Seal-encrypts `data` for `target` (tagged blob). */
export async function encryptFor(
	env: E2eEnvironment,
	target: EncryptTarget,
	data: Uint8Array,
	choice: ServerChoice = {},
): Promise<Uint8Array> {
	const servers = choice.servers ?? env.servers;
	const sealed = await sealEncrypt({
		sealClient: createSealClient({ suiClient: env.client, servers }),
		packageId: env.packages.originalId,
		target,
		threshold: choice.threshold ?? env.threshold,
		data,
	});
	return sealed.blob;
}

/** Decrypts a tagged Seal blob as `user` with a fresh client and session key. */
export async function decryptAs(
	env: E2eEnvironment,
	user: Keypair,
	blob: Uint8Array,
	policy: PolicyKind,
	choice: ServerChoice = {},
): Promise<Uint8Array> {
	const read = readBlob(blob);
	if (read.format !== 'seal-object')
		throw new HarnessError(`expected a Seal object, got ${read.format}`);
	const sessionKey = await sessionFor(env, user);
	return sealDecrypt({
		sealClient: createSealClient({
			suiClient: env.client,
			servers: choice.servers ?? env.servers,
			...(choice.fetch ? { fetch: choice.fetch } : {}),
		}),
		session: sessionKey,
		data: read.encryptedObject,
		policy,
		buildTxBytes: approvals(env),
		...auditOf(env),
	});
}

/** The `audit` option for the decrypt paths when the environment keeps an access log. */
function auditOf(env: E2eEnvironment): { audit?: NonNullable<E2eEnvironment['audit']> } {
	return env.audit ? { audit: env.audit } : {};
}

/** Resolves when the attempt is refused with SealAccessDeniedError; throws otherwise. */
export async function expectDenied(
	attempt: () => Promise<unknown>,
): Promise<SealAccessDeniedError> {
	try {
		await attempt();
	} catch (error) {
		if (error instanceof SealAccessDeniedError) return error;
		throw error;
	}
	throw new HarnessError('expected the key servers to deny access, but decryption succeeded');
}

/**
 * Like `expectDenied`, but tolerates key servers whose full node has not seen a just-executed
 * membership change yet (testnet): retries for up to `timeoutMs`.
 */
export async function expectDeniedEventually(
	attempt: () => Promise<unknown>,
	{ timeoutMs = 20_000, intervalMs = 2_000 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<SealAccessDeniedError> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		try {
			return await expectDenied(attempt);
		} catch (error) {
			if (Date.now() >= deadline) throw error;
			await pause(intervalMs);
		}
	}
}

/** A fetch that counts `/v1/fetch_key` requests. */
export function countingFetch(): { fetch: typeof fetch; fetchKeyRequests: () => number } {
	let count = 0;
	const counted: typeof fetch = (input, init) => {
		const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
		if (url.endsWith('/v1/fetch_key')) count++;
		return fetch(input, init);
	};
	return { fetch: counted, fetchKeyRequests: () => count };
}

export interface BatchOutcome {
	count: number;
	allMatch: boolean;
	fetchKeyRequests: number;
	/** Upper bound the design promises: ⌈N/100⌉ requests per configured server. */
	maxRequests: number;
}

/** Encrypts `count` blobs for the namespace and decrypts them in one batch as `member`. */
export async function batchRoundTrip(
	env: E2eEnvironment,
	ns: Namespace,
	member: Keypair,
	count: number,
): Promise<BatchOutcome> {
	const plaintexts = Array.from({ length: count }, (_, i) =>
		new TextEncoder().encode(`batch item ${i}`),
	);
	const encryptClient = createSealClient({ suiClient: env.client, servers: env.servers });
	const blobs: Uint8Array[] = [];
	for (const data of plaintexts) {
		const sealed = await sealEncrypt({
			sealClient: encryptClient,
			packageId: env.packages.originalId,
			target: { policy: 'allowlist', allowlistId: ns.allowlistId },
			threshold: env.threshold,
			data,
		});
		const read = readBlob(sealed.blob);
		if (read.format !== 'seal-object') throw new HarnessError('unexpected format');
		blobs.push(read.encryptedObject);
	}
	const counter = countingFetch();
	const sessionKey = await sessionFor(env, member);
	const out = await batchDecrypt({
		sealClient: createSealClient({
			suiClient: env.client,
			servers: env.servers,
			fetch: counter.fetch,
		}),
		session: sessionKey,
		items: blobs.map((data) => ({ data, policy: 'allowlist' as const })),
		buildTxBytes: approvals(env),
		logger: env.logger,
		...auditOf(env),
	});
	const allMatch = out.every((p, i) => Buffer.from(p).equals(Buffer.from(plaintexts[i] ?? [])));
	return {
		count,
		allMatch,
		fetchKeyRequests: counter.fetchKeyRequests(),
		maxRequests: Math.ceil(count / 100) * env.servers.length,
	};
}

export interface RewrapOutcome {
	dataUnchanged: boolean;
	decrypted: boolean;
	from: string;
	to: string;
}

/**
 * Envelope-encrypts `data` for the namespace with the full server set, rewraps it to `newServers`
 * at `newThreshold`, and decrypts the result with a client that knows only the new set.
 */
export async function envelopeRewrap(
	env: E2eEnvironment,
	ns: Namespace,
	member: Keypair,
	data: Uint8Array,
	newServers: KeyServerEntry[],
	newThreshold: number,
): Promise<RewrapOutcome> {
	const target: EncryptTarget = { policy: 'allowlist', allowlistId: ns.allowlistId };
	const { stream } = encryptForTargetEnvelope(data, {
		sealClient: createSealClient({ suiClient: env.client, servers: env.servers }),
		packageId: env.packages.originalId,
		target,
		threshold: env.threshold,
		chunkSize: 4096,
	});
	const original = await collectBytes(stream);
	const buildTxBytes = approvals(env);
	const sessionKey = await sessionFor(env, member);
	/** Asks the envelope's own servers for its key (one request the access log records). */
	const unlock = (sealClient: SealClient, { header }: OpenedEnvelope, action: AuditAction) =>
		unlockIdentity({
			sealClient,
			sessionKey,
			policy: 'allowlist',
			innerId: header.innerId,
			threshold: header.threshold,
			buildTxBytes,
			servers: header.servers.map((s) => s.objectId),
			...auditOf(env),
			action,
		});

	const oldClient = createSealClient({ suiClient: env.client, servers: env.servers });
	const opened = await readEnvelopeHeader(original);
	const txBytes = await unlock(oldClient, opened, 'rewrap');
	const rewrapped = await collectBytes(
		rewrapEnvelope(opened, {
			access: { sealClient: oldClient, sessionKey, txBytes },
			sealClient: createSealClient({ suiClient: env.client, servers: newServers }),
			threshold: newThreshold,
		}),
	);
	const before = await readEnvelopeHeader(original);
	const after = await readEnvelopeHeader(rewrapped);
	const dataUnchanged = Buffer.from(await collectBytes(before.body)).equals(
		Buffer.from(await collectBytes(after.body)),
	);

	const newClient = createSealClient({ suiClient: env.client, servers: newServers });
	const reopened = await readEnvelopeHeader(rewrapped);
	const newTx = await unlock(newClient, reopened, 'decrypt');
	const plaintext = await collectBytes(
		decryptEnvelope(reopened, { sealClient: newClient, sessionKey, txBytes: newTx }),
	);
	return {
		dataUnchanged,
		decrypted: Buffer.from(plaintext).equals(Buffer.from(data)),
		from: `${opened.header.threshold}-of-${opened.header.servers.length}`,
		to: `${reopened.header.threshold}-of-${reopened.header.servers.length}`,
	};
}

export type AccessLogCounts = Record<AuditOutcome, number> & { lines: number };

/**
 * Verifies the run's access log (chain intact, nothing dropped from the end: `head` is the
 * writer's last hash) and counts its outcomes.
 */
export async function checkAccessLog(path: string, head: string): Promise<AccessLogCounts> {
	const verified = await verifyAuditLog(path, { expectedHead: head });
	if (!verified.ok)
		throw new HarnessError(`access log ${path} line ${verified.badLine}: ${verified.reason}`);
	const counts: AccessLogCounts = { lines: verified.lines, granted: 0, denied: 0, error: 0 };
	for (const line of (await readFile(path, 'utf8')).split('\n')) {
		if (line === '') continue;
		counts[(JSON.parse(line) as { outcome: AuditOutcome }).outcome] += 1;
	}
	return counts;
}
