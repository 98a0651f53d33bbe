/**
 * Key-access auditing on the decrypt paths, with the real `@mysten/seal` SDK against the offline
 * key servers: what a granted, denied, failed and retried fetch writes to the access log, that the
 * log verifies, that it never holds plaintext or key material, and that a log that cannot be
 * written stops decryption without leaving plaintext behind.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InvalidParameterError, SealClient, type FetchKeysOptions } from '@mysten/seal';
import type { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { CliIo } from '../../scripts/cli-io.js';
import {
	auditLogPath,
	decryptFiles,
	openAuditLog,
	parseDecryptArgs,
} from '../../scripts/commands/decrypt.js';
import { AuditLog, verifyAuditLog, type AuditEntry, type AuditRecord } from '../../ts/audit/log.js';
import { loadConfig } from '../../ts/config.js';
import { checkAccessLog } from '../../ts/e2e/steps.js';
import { collectBytes, decryptEnvelope, readEnvelopeHeader } from '../../ts/crypto/node/envelope.js';
import { AuditLogError } from '../../ts/audit/errors.js';
import { SealAccessDeniedError, SealKeyServerError } from '../../ts/crypto/seal-errors.js';
import { readBlob } from '../../ts/crypto/node/format.js';
import { fromHex, fullIdentity, toHex } from '../../ts/identity.js';
import type { ApproveTarget } from '../../ts/seal/approve.js';
import {
	batchDecrypt,
	sealDecrypt,
	unlockIdentity,
	type SealKeyClient,
} from '../../ts/seal/decrypt.js';
import { encryptForTargetEnvelope, sealEncrypt } from '../../ts/seal/encrypt.js';
import type { KeyAccessRecorder } from '../../ts/seal/key-access-audit.js';
import { createSessionKey } from '../../ts/seal/session.js';
import { silentLogger } from '../../ts/logger.js';
import {
	offlineApproveBuilder,
	startSealTestbed,
	type SealTestbed,
} from '../support/seal-testbed.js';

let bed: SealTestbed;
let dir: string;
let logPath: string;
let log: AuditLog;

beforeAll(async () => {
	bed = await startSealTestbed({ serverCount: 3 });
});
afterAll(async () => {
	await bed?.close();
});
beforeEach(async () => {
	dir = await mkdtemp(join(tmpdir(), 'audit-decrypt-'));
	logPath = join(dir, 'access.jsonl');
	log = await AuditLog.open(logPath, { clock: () => new Date() });
});
afterEach(async () => {
	await log.close().catch(() => undefined);
	await rm(dir, { recursive: true, force: true });
});

/** A fresh client per access check: the SDK caches keys for its lifetime. */
function client(): SealClient {
	return new SealClient({ suiClient: bed.suiClient, serverConfigs: bed.serverConfigs() });
}

/** Approval bytes without a node. */
function buildTxBytes(targets: ApproveTarget[]): Promise<Uint8Array> {
	return offlineApproveBuilder(bed.packageId)(targets);
}

async function records(): Promise<AuditRecord[]> {
	const text = await readFile(logPath, 'utf8');
	return text
		.split('\n')
		.filter((line) => line !== '')
		.map((line) => JSON.parse(line) as AuditRecord);
}

/** An owner-policy Seal object for `owner` (2-of-3), allowed for the owner. */
async function sealFor(owner: Ed25519Keypair, data: Uint8Array) {
	const sealed = await sealEncrypt({
		sealClient: client(),
		packageId: bed.packageId,
		target: { policy: 'owner', owner: owner.toSuiAddress() },
		threshold: 2,
		data,
	});
	bed.policy.allow(sealed.innerIdHex, owner.toSuiAddress());
	const read = readBlob(sealed.blob);
	if (read.format !== 'seal-object') throw new Error(`unexpected format ${read.format}`);
	return { object: read.encryptedObject, innerId: sealed.innerId };
}

function sessionFor(user: Ed25519Keypair) {
	return createSessionKey({ suiClient: bed.suiClient, signer: user, packageId: bed.packageId });
}

const identityHex = (innerId: Uint8Array) => `0x${toHex(fullIdentity(bed.packageId, innerId))}`;
const allServers = () => bed.servers.map((s) => s.objectId);

describe('granted and denied key fetches', () => {
	it('a granted batch writes one granted entry per identity with its servers and threshold', async () => {
		const user = bed.newUser();
		const first = await sealFor(user, new TextEncoder().encode('first'));
		const second = await sealFor(user, new TextEncoder().encode('second'));
		const out = await batchDecrypt({
			sealClient: client(),
			session: await sessionFor(user),
			// The repeat shares its identity's key: still one entry per identity.
			items: [first, second, first].map(({ object }) => ({
				data: object,
				policy: 'owner' as const,
			})),
			buildTxBytes,
			audit: log,
		});
		expect(out.map((p) => new TextDecoder().decode(p))).toEqual(['first', 'second', 'first']);

		const lines = await records();
		expect(lines).toHaveLength(2);
		expect(lines.map((r) => r.identity)).toEqual([
			identityHex(first.innerId),
			identityHex(second.innerId),
		]);
		for (const record of lines) {
			expect(record).toMatchObject({
				action: 'decrypt',
				address: user.toSuiAddress(),
				keyServers: allServers(),
				threshold: 2,
				outcome: 'granted',
				errorName: null,
			});
		}
		const verified = await verifyAuditLog(logPath, { expectedHead: log.head });
		expect(verified).toEqual({ ok: true, lines: 2, head: log.head });
	});

	it('a denied user writes denied with NoAccessError, and the decrypt still fails as denied', async () => {
		const owner = bed.newUser();
		const stranger = bed.newUser();
		const { object, innerId } = await sealFor(owner, new Uint8Array([1, 2, 3]));
		await expect(
			sealDecrypt({
				sealClient: client(),
				session: await sessionFor(stranger),
				data: object,
				policy: 'owner',
				buildTxBytes,
				audit: log,
			}),
		).rejects.toThrow(SealAccessDeniedError);
		const [record, ...rest] = await records();
		expect(rest).toEqual([]);
		expect(record).toMatchObject({
			action: 'decrypt',
			address: stranger.toSuiAddress(),
			identity: identityHex(innerId),
			keyServers: allServers(),
			threshold: 2,
			outcome: 'denied',
			errorName: 'NoAccessError',
		});
		expect((await verifyAuditLog(logPath)).ok).toBe(true);
	});

	it('the e2e flow check counts outcomes and catches a line dropped from the end', async () => {
		const user = bed.newUser();
		const stranger = bed.newUser();
		const { object } = await sealFor(user, new Uint8Array([5]));
		const attempt = (who: Ed25519Keypair) =>
			sessionFor(who).then((session) =>
				sealDecrypt({
					sealClient: client(),
					session,
					data: object,
					policy: 'owner',
					buildTxBytes,
					audit: log,
				}),
			);
		await attempt(user);
		await expect(attempt(stranger)).rejects.toThrow(SealAccessDeniedError);
		await attempt(user);
		expect(await checkAccessLog(logPath, log.head)).toEqual({
			lines: 3,
			granted: 2,
			denied: 1,
			error: 0,
		});
		const lines = (await readFile(logPath, 'utf8')).split('\n');
		await truncate(logPath, Buffer.byteLength(`${lines.slice(0, 2).join('\n')}\n`));
		await expect(checkAccessLog(logPath, log.head)).rejects.toThrow(/removed from the end/);
	});

	it('too few servers up: an error entry naming the failure', async () => {
		const user = bed.newUser();
		const { object } = await sealFor(user, new Uint8Array([7]));
		const [a, b] = bed.servers;
		await a?.stop();
		await b?.stop();
		try {
			await expect(
				sealDecrypt({
					sealClient: client(),
					session: await sessionFor(user),
					data: object,
					policy: 'owner',
					buildTxBytes,
					audit: log,
				}),
			).rejects.toThrow(SealKeyServerError);
		} finally {
			await a?.start();
			await b?.start();
		}
		const [record] = await records();
		expect(record?.outcome).toBe('error');
		expect(record?.errorName).toMatch(/^[A-Z][A-Za-z0-9]*Error$/);
		expect(record?.errorName).not.toBe('NoAccessError');
	});

	it('records every attempt of the visibility retry (InvalidParameterError, then granted)', async () => {
		const user = bed.newUser();
		const { object } = await sealFor(user, new Uint8Array([4, 2]));
		const real = client();
		let calls = 0;
		// The real client, except that the first fetch is answered as "object not visible yet".
		const lagging: SealKeyClient = {
			fetchKeys: (options: FetchKeysOptions) =>
				calls++ === 0
					? Promise.reject(new InvalidParameterError('req-1'))
					: real.fetchKeys(options),
			decrypt: (options) => real.decrypt(options),
		};
		const plaintext = await sealDecrypt({
			sealClient: lagging,
			session: await sessionFor(user),
			data: object,
			policy: 'owner',
			buildTxBytes,
			audit: log,
			retry: { policy: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 }, sleep: async () => {} },
		});
		expect(Array.from(plaintext)).toEqual([4, 2]);
		const lines = await records();
		expect(lines.map((r) => [r.outcome, r.errorName])).toEqual([
			['error', 'InvalidParameterError'],
			['granted', null],
		]);
		expect((await verifyAuditLog(logPath)).ok).toBe(true);
	});
});

describe('envelopes and rewrap (unlockIdentity)', () => {
	it('records the unlock with the header servers, and the action given', async () => {
		const user = bed.newUser();
		const { innerId, stream } = encryptForTargetEnvelope(
			new TextEncoder().encode('envelope body'),
			{
				sealClient: client(),
				packageId: bed.packageId,
				target: { policy: 'owner', owner: user.toSuiAddress() },
				threshold: 2,
				chunkSize: 1024,
			},
		);
		const envelope = await collectBytes(stream);
		bed.policy.allow(toHex(innerId), user.toSuiAddress());
		const opened = await readEnvelopeHeader(envelope);
		const sessionKey = await sessionFor(user);
		const unlock = (action?: 'rewrap') =>
			unlockIdentity({
				sealClient: client(),
				sessionKey,
				policy: 'owner',
				innerId: opened.header.innerId,
				threshold: opened.header.threshold,
				buildTxBytes,
				servers: opened.header.servers.map((s) => s.objectId),
				audit: log,
				...(action ? { action } : {}),
			});
		await unlock();
		await unlock('rewrap');
		const lines = await records();
		expect(lines.map((r) => r.action)).toEqual(['decrypt', 'rewrap']);
		for (const record of lines) {
			expect(record).toMatchObject({
				address: user.toSuiAddress(),
				identity: `0x${toHex(opened.header.identity)}`,
				keyServers: allServers(),
				threshold: 2,
				outcome: 'granted',
			});
		}
	});
});

describe('what the log never contains', () => {
	it('no plaintext, no derived keys, no data key, no session key', async () => {
		const user = bed.newUser();
		const plaintext = new TextEncoder().encode('TOP-SECRET-PLAINTEXT-4f1c9a');
		const { object, innerId } = await sealFor(user, plaintext);
		const sessionKey = await sessionFor(user);
		const sealClient = client();
		const decrypted = await sealDecrypt({
			sealClient,
			session: sessionKey,
			data: object,
			policy: 'owner',
			buildTxBytes,
			audit: log,
		});
		expect(Buffer.from(decrypted).equals(Buffer.from(plaintext))).toBe(true);
		// The keys the SDK holds for this identity (served from its cache, no new request).
		const txBytes = await buildTxBytes([{ policy: 'owner', innerId }]);
		const derived = await sealClient.getDerivedKeys({
			id: toHex(innerId),
			txBytes,
			sessionKey,
			threshold: 2,
		});
		expect(derived.size).toBe(2);

		// An envelope's data key is what the SDK returns for its sealed key.
		const envelopeData = new TextEncoder().encode('ENVELOPE-PLAINTEXT-77aa31');
		const env = encryptForTargetEnvelope(envelopeData, {
			sealClient: client(),
			packageId: bed.packageId,
			target: { policy: 'owner', owner: user.toSuiAddress() },
			threshold: 2,
			chunkSize: 1024,
		});
		const envelope = await collectBytes(env.stream);
		bed.policy.allow(toHex(env.innerId), user.toSuiAddress());
		const opened = await readEnvelopeHeader(envelope);
		const envClient = client();
		const envTx = await unlockIdentity({
			sealClient: envClient,
			sessionKey,
			policy: 'owner',
			innerId: opened.header.innerId,
			threshold: opened.header.threshold,
			buildTxBytes,
			audit: log,
		});
		const body = await collectBytes(
			decryptEnvelope(opened, { sealClient: envClient, sessionKey, txBytes: envTx }),
		);
		expect(Buffer.from(body).equals(Buffer.from(envelopeData))).toBe(true);
		const dataKey = await envClient.decrypt({
			data: opened.header.sealedKey,
			sessionKey,
			txBytes: envTx,
		});
		expect(dataKey.length).toBe(32);

		const raw = await readFile(logPath);
		const text = raw.toString('utf8').toLowerCase();
		expect((await records()).length).toBe(2);
		const secrets: Uint8Array[] = [
			plaintext,
			envelopeData,
			dataKey,
			...[...derived.values()].map((key) => fromHex(key.toString())),
		];
		for (const secret of secrets) {
			const buffer = Buffer.from(secret);
			expect(raw.includes(buffer)).toBe(false);
			expect(text.includes(buffer.toString('hex'))).toBe(false);
			expect(raw.includes(Buffer.from(buffer.toString('base64')))).toBe(false);
			expect(raw.includes(Buffer.from(buffer.toString('base64url')))).toBe(false);
		}
		const exported = sessionKey.export();
		expect(raw.includes(Buffer.from(exported.sessionKey))).toBe(false);
		if (exported.personalMessageSignature !== undefined)
			expect(raw.includes(Buffer.from(exported.personalMessageSignature))).toBe(false);
	});
});

describe('when the log cannot be written', () => {
	it('the failure surfaces, nothing is returned, and earlier plaintexts are wiped', async () => {
		const user = bed.newUser();
		const items = [];
		for (const word of ['one', 'two', 'three'])
			items.push(await sealFor(user, new TextEncoder().encode(word)));
		// Records the first identity durably, then fails like a full disk.
		let appends = 0;
		const failing: KeyAccessRecorder = {
			append: (entry: AuditEntry) =>
				appends++ < 1
					? log.append(entry)
					: Promise.reject(new AuditLogError(`could not append to ${logPath}`)),
		};
		const real = client();
		const produced: Uint8Array[] = [];
		const watching: SealKeyClient = {
			fetchKeys: (options) => real.fetchKeys(options),
			decrypt: async (options) => {
				const plaintext = await real.decrypt(options);
				produced.push(plaintext);
				return plaintext;
			},
		};
		const attempt = batchDecrypt({
			sealClient: watching,
			session: await sessionFor(user),
			items: items.map(({ object }) => ({ data: object, policy: 'owner' as const })),
			buildTxBytes,
			chunkSize: 1,
			audit: failing,
		});
		await expect(attempt).rejects.toThrow(AuditLogError);
		// Chunk 1 was recorded and decrypted; chunk 2's record failed before its decrypt.
		expect(produced).toHaveLength(1);
		expect(produced.every((p) => p.every((byte) => byte === 0))).toBe(true);
		expect((await records()).map((r) => r.outcome)).toEqual(['granted']);
	});

	it('a closed log refuses to append and the unlock fails with AuditLogError', async () => {
		const user = bed.newUser();
		const { innerId } = await sealFor(user, new Uint8Array([1]));
		await log.close();
		await expect(
			unlockIdentity({
				sealClient: client(),
				sessionKey: await sessionFor(user),
				policy: 'owner',
				innerId,
				threshold: 2,
				buildTxBytes,
				audit: log,
			}),
		).rejects.toThrow(AuditLogError);
		// Nothing was appended, so the log file was never created.
		await expect(verifyAuditLog(logPath)).rejects.toThrow(/does not exist/);
	});
});

describe('seal-policies decrypt with SEAL_AUDIT_LOG (command body, offline servers)', () => {
	/** Writes a Seal object and an envelope for `owner`; returns their paths. */
	async function inputsFor(owner: Ed25519Keypair): Promise<string[]> {
		const object = await sealEncrypt({
			sealClient: client(),
			packageId: bed.packageId,
			target: { policy: 'owner', owner: owner.toSuiAddress() },
			threshold: 2,
			data: new TextEncoder().encode('object plaintext'),
		});
		bed.policy.allow(object.innerIdHex, owner.toSuiAddress());
		const env = encryptForTargetEnvelope(new TextEncoder().encode('envelope plaintext'), {
			sealClient: client(),
			packageId: bed.packageId,
			target: { policy: 'owner', owner: owner.toSuiAddress() },
			threshold: 2,
			chunkSize: 1024,
		});
		const envelope = await collectBytes(env.stream);
		bed.policy.allow(toHex(env.innerId), owner.toSuiAddress());
		const paths = [join(dir, 'a.seal'), join(dir, 'b.seal')];
		await writeFile(paths[0] ?? '', object.blob);
		await writeFile(paths[1] ?? '', envelope);
		return paths;
	}

	/** What `run` does after parsing, with the testbed as the chain and `signer` as the user. */
	async function decryptCommand(signer: Ed25519Keypair, args: string[]) {
		const { request } = parseDecryptArgs(args);
		const config = loadConfig({
			cwd: dir,
			env: {
				SEAL_POLICY_PACKAGE: bed.packageId,
				SEAL_SERVER_IDS: allServers().join(','),
				SEAL_THRESHOLD: '2',
				SEAL_AUDIT_LOG: 'cli-access.jsonl',
			},
		});
		const results: unknown[] = [];
		const io: CliIo = {
			logger: silentLogger,
			json: true,
			env: {},
			result: (value) => void results.push(value),
		};
		const ctx = {
			config,
			client: bed.registry,
			deploymentsDir: join(dir, 'deployments'),
			signer: async () => signer,
		};
		const audit = await openAuditLog(auditLogPath(request.auditLog, config));
		try {
			await decryptFiles(request, ctx, audit, io);
		} finally {
			await audit?.close();
		}
		return { results, path: audit?.path ?? '' };
	}

	it('records both the batch and the envelope fetch in the configured log and reports its head', async () => {
		const user = bed.newUser();
		const inputs = await inputsFor(user);
		const out = join(dir, 'out');
		const { results, path } = await decryptCommand(user, [...inputs, '--out-dir', out]);
		expect(path).toBe(join(dir, 'cli-access.jsonl'));
		expect(await readFile(join(out, 'a'), 'utf8')).toBe('object plaintext');
		expect(await readFile(join(out, 'b'), 'utf8')).toBe('envelope plaintext');
		const verified = await verifyAuditLog(path);
		expect(verified).toMatchObject({ ok: true, lines: 2 });
		expect(results[0]).toMatchObject({
			auditLog: { path, head: verified.ok ? verified.head : '' },
		});
		const lines = (await readFile(path, 'utf8')).trim().split('\n');
		for (const line of lines) {
			expect(JSON.parse(line)).toMatchObject({
				action: 'decrypt',
				address: user.toSuiAddress(),
				outcome: 'granted',
			});
		}
	});

	it('--audit-log beats SEAL_AUDIT_LOG; a denied user gets a denied line and no output file', async () => {
		const owner = bed.newUser();
		const stranger = bed.newUser();
		const [object] = await inputsFor(owner);
		const out = join(dir, 'out');
		await mkdir(out);
		const explicit = join(dir, 'explicit.jsonl');
		await expect(
			// --policy owner: the stranger's own address is not in the identity, so auto would pick
			// the allowlist policy, whose approval needs a chain object the offline registry lacks.
			decryptCommand(stranger, [
				object ?? '',
				'--out-dir',
				out,
				'--policy',
				'owner',
				'--audit-log',
				explicit,
			]),
		).rejects.toThrow(SealAccessDeniedError);
		expect(await readdir(out)).toEqual([]);
		expect(await readdir(dir)).not.toContain('cli-access.jsonl');
		const [line] = (await readFile(explicit, 'utf8')).trim().split('\n');
		expect(JSON.parse(line ?? '{}')).toMatchObject({
			address: stranger.toSuiAddress(),
			outcome: 'denied',
			errorName: 'NoAccessError',
		});
	});

	it('a damaged log stops the command before any key request', async () => {
		const user = bed.newUser();
		const inputs = await inputsFor(user);
		await writeFile(join(dir, 'cli-access.jsonl'), '{"edited": true}\n');
		const before = bed.servers.reduce((n, s) => n + s.stats.fetchKeyRequests, 0);
		await expect(decryptCommand(user, [...inputs, '--out-dir', join(dir, 'out')])).rejects.toThrow(
			AuditLogError,
		);
		expect(bed.servers.reduce((n, s) => n + s.stats.fetchKeyRequests, 0)).toBe(before);
		await expect(readdir(join(dir, 'out'))).rejects.toThrow();
	});
});
