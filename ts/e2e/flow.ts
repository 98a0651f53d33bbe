/**
 * The full end-to-end flow as named steps: publish → namespace → member → t-of-n encrypt →
 * member decrypts; a non-member and a removed member are refused; the owner policy; a batch of
 * 50; an envelope rewrapped to another server set; (localnet) servers going down; and finally the
 * access log that recorded every key fetch of those steps verifies.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Keypair } from '@mysten/sui/cryptography';
import { AuditLog } from '../audit/log.js';
import { HarnessError } from '../errors.js';
import { SealKeyServerError } from '../crypto/seal-errors.js';
import type { E2eEnvironment } from './environment.js';
import { startFaultServers } from './fault-servers.js';
import { StepRunner, type StepResult } from './report.js';
import {
	addNamespaceMember,
	batchRoundTrip,
	checkAccessLog,
	createNamespace,
	decryptAs,
	encryptFor,
	envelopeRewrap,
	expectDenied,
	expectDeniedEventually,
	newAccount,
	removeNamespaceMember,
	type Namespace,
} from './steps.js';

export const BATCH_SIZE = 50;

export interface FlowOptions {
	/** Run the servers-down steps (needs a network where we can register servers: localnet). */
	faults: boolean;
	log: (line: string) => void;
	/** Access log for the run's key fetches; default: `access.jsonl` in a new temp dir (kept). */
	auditLogPath?: string;
}

export async function runE2eFlow(env: E2eEnvironment, options: FlowOptions): Promise<StepResult[]> {
	const run = new StepRunner(options.log);
	const auditPath =
		options.auditLogPath ?? join(await mkdtemp(join(tmpdir(), 'seal-e2e-')), 'access.jsonl');
	const audit = await AuditLog.open(auditPath, { clock: () => new Date() });
	try {
		await runSteps({ ...env, audit }, options, run);
	} finally {
		await audit.close();
	}
	await run.step('access log verifies', async () => {
		const passed = (name: string) => run.results.find((r) => r.name === name)?.status === 'pass';
		const counts = await checkAccessLog(auditPath, audit.head);
		if (passed('member decrypts') && counts.granted === 0)
			throw new HarnessError(`${auditPath} has no granted key fetch`);
		if (passed('non-member is refused') && counts.denied === 0)
			throw new HarnessError(`${auditPath} has no denied key fetch`);
		return `${auditPath}: ${counts.lines} lines (${counts.granted} granted, ${counts.denied} denied, ${counts.error} error), chain intact`;
	});
	return run.results;
}

async function runSteps(env: E2eEnvironment, options: FlowOptions, run: StepRunner): Promise<void> {
	const message = new TextEncoder().encode('a secret for the namespace');
	let ns: Namespace | undefined;
	let member: Keypair | undefined;
	let blob: Uint8Array | undefined;
	const need = <T>(value: T | undefined): T => {
		if (value === undefined) throw new HarnessError('an earlier step did not produce its result');
		return value;
	};
	const t = `${env.threshold}-of-${env.servers.length}`;

	await run.step('publish', async () => env.publishNote);
	await run.step(
		'create namespace',
		async () => {
			ns = await createNamespace(env, `e2e-${Date.now()}`);
			return `allowlist ${ns.allowlistId}`;
		},
		['publish'],
	);
	await run.step(
		'add member',
		async () => {
			member = await newAccount(env);
			await addNamespaceMember(env, need(ns), member.toSuiAddress());
			return `member ${member.toSuiAddress()}`;
		},
		['create namespace'],
	);
	await run.step(
		`encrypt ${t}`,
		async () => {
			blob = await encryptFor(
				env,
				{ policy: 'allowlist', allowlistId: need(ns).allowlistId },
				message,
			);
			return `${blob.length} bytes for the namespace`;
		},
		['create namespace'],
	);
	await run.step(
		'member decrypts',
		async () => {
			const plaintext = await decryptAs(env, need(member), need(blob), 'allowlist');
			if (!Buffer.from(plaintext).equals(Buffer.from(message)))
				throw new HarnessError('plaintext differs');
			return 'plaintext matches';
		},
		['add member', `encrypt ${t}`],
	);
	await run.step(
		'non-member is refused',
		async () => {
			const stranger = await newAccount(env);
			const denied = await expectDenied(() => decryptAs(env, stranger, need(blob), 'allowlist'));
			return denied.name;
		},
		[`encrypt ${t}`],
	);
	await run.step(
		'removed member loses access',
		async () => {
			await removeNamespaceMember(env, need(ns), need(member).toSuiAddress());
			const denied = await expectDeniedEventually(() =>
				decryptAs(env, need(member), need(blob), 'allowlist'),
			);
			return `after removal: ${denied.name}`;
		},
		['member decrypts'],
	);
	await run.step(
		'owner policy: only the owner',
		async () => {
			const owner = await newAccount(env);
			const other = await newAccount(env);
			const secret = new TextEncoder().encode('for the owner only');
			const owned = await encryptFor(env, { policy: 'owner', owner: owner.toSuiAddress() }, secret);
			const plaintext = await decryptAs(env, owner, owned, 'owner');
			if (!Buffer.from(plaintext).equals(Buffer.from(secret)))
				throw new HarnessError('plaintext differs');
			await expectDenied(() => decryptAs(env, other, owned, 'owner'));
			return 'owner decrypts; another address is refused';
		},
		['publish'],
	);

	let member2: Keypair | undefined;
	await run.step(
		`batch decrypt ${BATCH_SIZE}`,
		async () => {
			member2 = await newAccount(env);
			await addNamespaceMember(env, need(ns), member2.toSuiAddress());
			const outcome = await batchRoundTrip(env, need(ns), member2, BATCH_SIZE);
			if (!outcome.allMatch) throw new HarnessError('a plaintext differs');
			if (outcome.fetchKeyRequests > outcome.maxRequests) {
				throw new HarnessError(
					`${outcome.fetchKeyRequests} key requests, expected at most ${outcome.maxRequests}`,
				);
			}
			return `${outcome.count} blobs, ${outcome.fetchKeyRequests} fetch_key request(s) (≤ ${outcome.maxRequests})`;
		},
		['create namespace'],
	);
	await run.step(
		'envelope rewrap to another server set',
		async () => {
			const newServers = env.servers.length > 1 ? env.servers.slice(1) : env.servers;
			const newThreshold = Math.min(env.threshold, newServers.length);
			const data = new Uint8Array(20_000).map((_, i) => i % 251);
			const outcome = await envelopeRewrap(
				env,
				need(ns),
				need(member2),
				data,
				newServers,
				newThreshold,
			);
			if (!outcome.dataUnchanged) throw new HarnessError('rewrap changed the data section');
			if (!outcome.decrypted)
				throw new HarnessError('rewrapped envelope did not decrypt to the data');
			return `${outcome.from} -> ${outcome.to}, data chunks unchanged, decrypts`;
		},
		[`batch decrypt ${BATCH_SIZE}`],
	);

	if (options.faults) {
		let faults: Awaited<ReturnType<typeof startFaultServers>> | undefined;
		let faultBlob: Uint8Array | undefined;
		try {
			await run.step(
				'start 3 more key servers (2-of-3)',
				async () => {
					faults = await startFaultServers(env, 3);
					faultBlob = await encryptFor(
						env,
						{ policy: 'allowlist', allowlistId: need(ns).allowlistId },
						message,
						{
							servers: faults.entries,
							threshold: 2,
						},
					);
					return faults.entries.map((e) => e.objectId.slice(0, 10)).join(', ');
				},
				[`batch decrypt ${BATCH_SIZE}`],
			);
			await run.step(
				'one server down: still decrypts',
				async () => {
					await need(faults).stop(2);
					const plaintext = await decryptAs(env, need(member2), need(faultBlob), 'allowlist', {
						servers: need(faults).entries,
					});
					if (!Buffer.from(plaintext).equals(Buffer.from(message)))
						throw new HarnessError('plaintext differs');
					return '2 of 3 answered';
				},
				['start 3 more key servers (2-of-3)'],
			);
			await run.step(
				'two servers down: clear error',
				async () => {
					await need(faults).stop(1);
					try {
						await decryptAs(env, need(member2), need(faultBlob), 'allowlist', {
							servers: need(faults).entries,
						});
					} catch (error) {
						if (error instanceof SealKeyServerError && error.kind === 'Unreachable')
							return error.message;
						throw error;
					}
					throw new HarnessError('decryption succeeded with only 1 of 3 servers at threshold 2');
				},
				['one server down: still decrypts'],
			);
		} finally {
			await faults?.close();
		}
	}
}
