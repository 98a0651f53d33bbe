/**
 * Protocol tier: a committee member's and the aggregator's HTTP surface and start-up checks, as
 * MystenLabs/seal crates/key-server/src/server.rs (`Server::new`, `handle_get_service`,
 * `handle_get_committee_server_partial_pk`, `validate_sdk_version_for_type`) and
 * aggregator/server.rs (`validate_client_sdk_headers`, `handle_get_service`, `fetch_from_member`)
 * at ddc7e5d6 define them.
 */
import { SealClient } from '@mysten/seal';
import { fromHex, toBase64, toHex } from '@mysten/sui/utils';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCommitteeMemberKeys } from '../../ts/keyserver/committee/member-keys.js';
import {
	CommitteeChainError,
	CommitteeShareError,
	CommitteeShareMismatchError,
} from '../../ts/keyserver/errors.js';
import {
	addCommittee,
	dealShares,
	g2Of,
	randomShare,
	shareHex,
	type TestCommittee,
} from '../support/committee-testbed.js';
import { randomObjectId } from '../support/offline-sui-registry.js';
import { startKeyServer } from '../../ts/keyserver/server.js';
import { startSealTestbed, type SealTestbed } from '../support/seal-testbed.js';

let bed: SealTestbed;
let committee: TestCommittee;

beforeAll(async () => {
	bed = await startSealTestbed({ serverCount: 1 });
	committee = await addCommittee(bed, { threshold: 2, count: 3 });
});
afterAll(async () => {
	await committee?.close();
	await bed?.close();
});

const memberUrl = (i: number) => `http://127.0.0.1:${committee.members[i]!.port}`;
const sdk = (type: string | undefined, version: string | undefined) => ({
	...(type !== undefined ? { 'Client-Sdk-Type': type } : {}),
	...(version !== undefined ? { 'Client-Sdk-Version': version } : {}),
});

/** A real SDK fetch_key body (and its session) for a fresh allowed id. */
async function fetchKeyBody() {
	const id = toHex(randomBytes(16));
	const user = bed.newUser();
	bed.policy.allow(id, user.toSuiAddress());
	const sessionKey = await bed.newSessionKey(user);
	const txBytes = await bed.approveTxBytes([fromHex(id)]);
	const params = await sessionKey.createRequestParams(txBytes);
	return JSON.stringify({
		ptb: toBase64(txBytes.slice(1)),
		enc_key: toBase64(params.encKeyPk),
		enc_verification_key: toBase64(params.encVerificationKey),
		request_signature: params.requestSignature,
		certificate: await sessionKey.getCertificate(),
	});
}

describe('committee member endpoints', () => {
	it('GET /v1/debug/committee_partial_pk answers {partial_pk} (base64 G2 of the share)', async () => {
		const res = await fetch(`${memberUrl(1)}/v1/debug/committee_partial_pk`, {
			headers: sdk('aggregator', '0.6.10'),
		});
		expect(res.status).toBe(200);
		expect(res.headers.get('x-keyserver-version')).toBe('0.6.10');
		expect(await res.json()).toEqual({ partial_pk: toBase64(g2Of(committee.shares[1]!)) });
	});

	it('an independent server answers the debug route with 400 Unsupported', async () => {
		const res = await fetch(`${bed.servers[0]!.url}/v1/debug/committee_partial_pk`, {
			headers: sdk('typescript', '1.4.12'),
		});
		expect(res.status).toBe(400);
		expect(await res.text()).toBe('Unsupported');
	});

	it('GET /v1/service is InvalidServiceId for every id, the committee object included (no PoP)', async () => {
		const res = await fetch(`${memberUrl(0)}/v1/service?service_id=${committee.objectId}`, {
			headers: sdk('typescript', '1.4.12'),
		});
		expect(res.status).toBe(400);
		expect(await res.json()).toEqual({ error: 'InvalidServiceId', message: 'Invalid service ID' });
	});

	it('Client-Sdk-Type: aggregator needs a version meeting aggregator_version_requirement (>=0.6.2)', async () => {
		const body = await fetchKeyBody();
		const post = (version: string) =>
			fetch(`${memberUrl(0)}/v1/fetch_key`, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', ...sdk('aggregator', version) },
				body,
			});
		const old = await post('0.6.1');
		expect(old.status).toBe(426);
		expect(((await old.json()) as { error: string }).error).toBe('DeprecatedSDKVersion');
		const ok = await post('0.6.2');
		expect(ok.status).toBe(200);
		const keys = ((await ok.json()) as { decryption_keys: unknown[] }).decryption_keys;
		expect(keys).toHaveLength(1);
	});
});

describe('a member rotating in without its old share', () => {
	it('starts, and answers 503 Failure (fetch_key and the debug route) until the rotation is done', async () => {
		const keys = await loadCommitteeMemberKeys({
			client: bed.registry,
			config: {
				memberAddress: committee.members[0]!.address,
				keyServerObjectId: committee.objectId,
				state: { kind: 'Rotation', targetVersion: 1 },
			},
			env: { MASTER_SHARE_V1: shareHex(randomShare()) },
			backend: 'noble',
			workers: 0,
		});
		const server = await startKeyServer({
			committee: keys,
			objectId: committee.objectId,
			evaluator: bed.policy,
			packages: bed.packages,
			workers: 0,
		});
		try {
			const debug = await fetch(`${server.url}/v1/debug/committee_partial_pk`, {
				headers: sdk('aggregator', '0.6.10'),
			});
			expect(debug.status).toBe(503);
			expect(((await debug.json()) as { error: string }).error).toBe('Failure');
			const res = await fetch(`${server.url}/v1/fetch_key`, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', ...sdk('aggregator', '0.6.10') },
				body: await fetchKeyBody(),
			});
			expect(res.status).toBe(503);
			expect(((await res.json()) as { error: string }).error).toBe('Failure');
		} finally {
			await server.close();
		}
	});
});

describe('committee member environment', () => {
	it('removes every MASTER_SHARE_V<n> from the environment it was given, used or not', async () => {
		const env: NodeJS.ProcessEnv = {
			MASTER_SHARE_V0: shareHex(committee.shares[2]!),
			MASTER_SHARE_V7: shareHex(1n),
			PATH: '/usr/bin',
		};
		const keys = await loadCommitteeMemberKeys({
			client: bed.registry,
			config: {
				memberAddress: committee.members[2]!.address,
				keyServerObjectId: committee.objectId,
				state: { kind: 'Active' },
			},
			env,
			backend: 'noble',
			workers: 0,
		});
		await keys.close();
		expect(env).toEqual({ PATH: '/usr/bin' });
		expect(keys.memberName).toBe('member-2');
	});
});

describe('committee member start-up refusals', () => {
	const base = () => ({
		client: bed.registry,
		backend: 'noble' as const,
		workers: 0,
	});

	it('a share that does not match the on-chain partial_pk → CommitteeShareMismatchError', async () => {
		const member = committee.members[0]!;
		const start = loadCommitteeMemberKeys({
			...base(),
			config: {
				memberAddress: member.address,
				keyServerObjectId: committee.objectId,
				state: { kind: 'Active' },
			},
			env: { MASTER_SHARE_V0: shareHex(randomShare()) },
		});
		await expect(start).rejects.toBeInstanceOf(CommitteeShareMismatchError);
		await expect(start).rejects.toThrow(
			/MASTER_SHARE_V0.*does not match the on-chain partial public key/,
		);
	});

	it("another member's share is refused too (party ids are positions in the committee)", async () => {
		await expect(
			loadCommitteeMemberKeys({
				...base(),
				config: {
					memberAddress: committee.members[0]!.address,
					keyServerObjectId: committee.objectId,
					state: { kind: 'Active' },
				},
				env: { MASTER_SHARE_V0: shareHex(committee.shares[1]!) },
			}),
		).rejects.toBeInstanceOf(CommitteeShareMismatchError);
	});

	it('no MASTER_SHARE_V<version> (nor the next one) → CommitteeShareError naming the variable', async () => {
		await expect(
			loadCommitteeMemberKeys({
				...base(),
				config: {
					memberAddress: committee.members[0]!.address,
					keyServerObjectId: committee.objectId,
					state: { kind: 'Active' },
				},
				env: {},
			}),
		).rejects.toThrow(CommitteeShareError);
	});

	it('a Rotation target that does not fit the on-chain version refuses to start', async () => {
		await expect(
			loadCommitteeMemberKeys({
				...base(),
				config: {
					memberAddress: committee.members[0]!.address,
					keyServerObjectId: committee.objectId,
					state: { kind: 'Rotation', targetVersion: 3 },
				},
				env: { MASTER_SHARE_V3: shareHex(1n) },
			}),
		).rejects.toThrow(/Rotation mode mismatch: version 0 doesn't match 2 or 3/);
	});

	it('an address that is not a member, or an independent key server → CommitteeChainError', async () => {
		await expect(
			loadCommitteeMemberKeys({
				...base(),
				config: {
					memberAddress: randomObjectId(),
					keyServerObjectId: committee.objectId,
					state: { kind: 'Active' },
				},
				env: { MASTER_SHARE_V0: shareHex(committee.shares[0]!) },
			}),
		).rejects.toThrow(/is not in committee/);
		await expect(
			loadCommitteeMemberKeys({
				...base(),
				config: {
					memberAddress: randomObjectId(),
					keyServerObjectId: bed.servers[0]!.objectId,
					state: { kind: 'Active' },
				},
				env: { MASTER_SHARE_V0: shareHex(1n) },
			}),
		).rejects.toBeInstanceOf(CommitteeChainError);
	});
});

describe('a committee KeyServer held by an address (localnet up --committee: no committee object)', () => {
	// ts/localnet/committee-tx.ts creates the committee in one PTB from a trusted dealer's shares
	// and transfers the KeyServer to the admin, so upstream's lookup (owner → committee members →
	// party id) has nothing to read; the member is matched by its own share's partial_pk instead.
	const dealt = dealShares(2, 3);
	let objectId: string;
	beforeAll(() => {
		objectId = bed.registry.registerCommittee({
			name: 'localnet-committee',
			publicKey: g2Of(dealt.secret),
			threshold: 2,
			members: [],
			partialKeyServers: dealt.shares.map((share, partyId) => ({
				name: `member-${partyId}`,
				url: `http://127.0.0.1:${9000 + partyId}`,
				partialPk: g2Of(share),
				partyId,
			})),
			heldBy: randomObjectId(),
		});
	});
	const load = (share: bigint) =>
		loadCommitteeMemberKeys({
			client: bed.registry,
			backend: 'noble',
			workers: 0,
			config: {
				memberAddress: randomObjectId(),
				keyServerObjectId: objectId,
				state: { kind: 'Active' },
			},
			env: { MASTER_SHARE_V0: shareHex(share) },
		});

	it('each dealt share starts as the party whose partial_pk it has', async () => {
		for (const [partyId, share] of dealt.shares.entries()) {
			const keys = await load(share);
			try {
				expect(keys.memberName).toBe(`member-${partyId}`);
				expect(keys.partialPublicKey()).toEqual(g2Of(share));
			} finally {
				await keys.close();
			}
		}
	});

	it('a share that is no party of it is refused (CommitteeChainError)', async () => {
		await expect(load(randomShare())).rejects.toThrow(
			/held by 0x[0-9a-f]{64}, no committee object\) has no partial key server with this member's share/,
		);
		await expect(load(randomShare())).rejects.toBeInstanceOf(CommitteeChainError);
	});

	it('a committee held by a committee object still takes upstream’s path (a share alone is not enough)', async () => {
		// The same share that an address-held committee would accept is refused for a non-member.
		await expect(
			loadCommitteeMemberKeys({
				client: bed.registry,
				backend: 'noble',
				workers: 0,
				config: {
					memberAddress: randomObjectId(),
					keyServerObjectId: committee.objectId,
					state: { kind: 'Active' },
				},
				env: { MASTER_SHARE_V0: shareHex(committee.shares[0]!) },
			}),
		).rejects.toThrow(/is not in committee/);
	});
});

describe('aggregator endpoints', () => {
	const post = (headers: Record<string, string>, body: string) =>
		fetch(`${committee.aggregator.url}/v1/fetch_key`, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', ...headers },
			body,
		});

	for (const [what, headers, status, error] of [
		['no Client-Sdk-Type', sdk(undefined, '1.4.12'), 400, 'InvalidSDKType'],
		['Client-Sdk-Type: aggregator', sdk('aggregator', '0.6.10'), 400, 'InvalidSDKType'],
		['an unknown SDK type', sdk('go', '1.0.0'), 400, 'InvalidSDKType'],
		['no Client-Sdk-Version', sdk('typescript', undefined), 400, 'MissingRequiredHeader'],
		['a version that is not semver', sdk('typescript', '1.4'), 400, 'InvalidSDKVersion'],
		['a TypeScript SDK below 0.10.0', sdk('typescript', '0.9.6'), 426, 'DeprecatedSDKVersion'],
	] as const) {
		it(`${what} → ${status} ${error}`, async () => {
			const res = await post(headers, await fetchKeyBody());
			expect(res.status).toBe(status);
			expect(((await res.json()) as { error: string }).error).toBe(error);
			expect(res.headers.get('x-keyserver-version')).toBe('0.6.10');
		});
	}

	it('a PTB on a package the chain does not know → 403 InvalidPackage, before any member is asked', async () => {
		const { Transaction } = await import('@mysten/sui/transactions');
		const tx = new Transaction();
		tx.moveCall({
			target: `${randomObjectId()}::policy::seal_approve`,
			arguments: [tx.pure.vector('u8', [1, 2, 3])],
		});
		const txBytes = await tx.build({ client: bed.registry, onlyTransactionKind: true });
		const sessionKey = await bed.newSessionKey(bed.newUser());
		const params = await sessionKey.createRequestParams(txBytes);
		const asked: string[] = [];
		committee.setFetch(async (input, init) => {
			asked.push(String(input));
			return fetch(input, init);
		});
		try {
			const res = await post(
				sdk('typescript', '1.4.12'),
				JSON.stringify({
					ptb: toBase64(txBytes.slice(1)),
					enc_key: toBase64(params.encKeyPk),
					enc_verification_key: toBase64(params.encVerificationKey),
					request_signature: params.requestSignature,
					certificate: await sessionKey.getCertificate(),
				}),
			);
			expect(res.status).toBe(403);
			expect(await res.json()).toEqual({ error: 'InvalidPackage', message: 'Invalid package ID' });
			expect(asked).toEqual([]);
		} finally {
			committee.setFetch(fetch);
		}
	});

	it('GET /v1/service → 400 Unsupported; /health answers', async () => {
		const res = await fetch(
			`${committee.aggregator.url}/v1/service?service_id=${committee.objectId}`,
		);
		expect(res.status).toBe(400);
		expect(await res.text()).toBe('Unsupported');
		expect((await fetch(`${committee.aggregator.url}/health`)).status).toBe(200);
	});

	it('forwards the body unchanged with Client-Sdk-Type aggregator, the request id and each member API key', async () => {
		const seen: { url: string; headers: Headers; body: string }[] = [];
		committee.setFetch(async (input, init) => {
			seen.push({
				url: String(input),
				headers: new Headers(init?.headers),
				body: Buffer.from(init?.body as Uint8Array).toString('utf8'),
			});
			return fetch(input, init);
		});
		try {
			const body = await fetchKeyBody();
			const res = await post({ ...sdk('typescript', '1.4.12'), 'Request-Id': 'req-42' }, body);
			expect(res.status).toBe(200);
			expect(seen.length).toBeGreaterThanOrEqual(2);
			for (const call of seen) {
				const i = committee.members.findIndex(
					(m) => call.url === `${memberUrl(m.index)}/v1/fetch_key`,
				);
				expect(i).toBeGreaterThanOrEqual(0);
				expect(call.body).toBe(body);
				expect(call.headers.get('client-sdk-type')).toBe('aggregator');
				expect(call.headers.get('client-sdk-version')).toBe('0.6.10');
				expect(call.headers.get('request-id')).toBe('req-42');
				expect(call.headers.get('x-api-key')).toBe(`key-of-member-${i}`);
			}
		} finally {
			committee.setFetch(fetch);
		}
	});

	it('exposes upstream metric names', async () => {
		const text = await committee.aggregatorMetrics.registry.metrics();
		for (const name of [
			'total_requests',
			'internal_errors',
			'http_request_duration_millis',
			'http_requests_total',
			'http_request_in_flight',
			'client_sdk_version',
			'upstream_key_server_errors',
			'key_server_fetch_duration_millis',
			'expected_key_ids_per_request',
			'sui_rpc_request_duration_millis',
			'uptime',
		]) {
			expect(text).toContain(`# TYPE ${name} `);
		}
		expect(text).toMatch(/client_sdk_version\{sdk_type="typescript",version="1.4.12"\} \d+/);
	});

	it('the SDK decrypts many ids in one request through the aggregator (worker threads)', async () => {
		const threaded = await addCommittee(bed, { threshold: 2, count: 3, aggregatorWorkers: 2 });
		try {
			const configs = [threaded.serverConfig()];
			const ids = Array.from({ length: 12 }, () => toHex(randomBytes(8)));
			const writer = new SealClient({ suiClient: bed.suiClient, serverConfigs: configs });
			const user = bed.newUser();
			const sealed = [];
			for (const id of ids) {
				bed.policy.allow(id, user.toSuiAddress());
				sealed.push(
					(await writer.encrypt({ threshold: 1, packageId: bed.packageId, id, data: fromHex(id) }))
						.encryptedObject,
				);
			}
			const reader = new SealClient({ suiClient: bed.suiClient, serverConfigs: configs });
			const sessionKey = await bed.newSessionKey(user);
			const txBytes = await bed.approveTxBytes(ids.map((id) => fromHex(id)));
			await reader.fetchKeys({ ids, txBytes, sessionKey, threshold: 1 });
			for (let i = 0; i < ids.length; i++) {
				const plain = await reader.decrypt({ data: sealed[i]!, sessionKey, txBytes });
				expect(toHex(plain)).toBe(ids[i]);
			}
		} finally {
			await threaded.close();
		}
	});
});

describe('aggregator committee refresh', () => {
	it('re-reads the committee on its timer (upstream: every 30 s) and keeps the last one when a read fails', async () => {
		const { startAggregator } = await import('../../ts/keyserver/aggregator/server.js');
		const { parseVersionReq } = await import('../../ts/keyserver/aggregator/version-req.js');
		const req = (text: string) => parseVersionReq(text, 'r');
		let failReads = false;
		const client = new Proxy(bed.registry, {
			get(target, key, receiver) {
				if (key === 'core') {
					return new Proxy(target.core, {
						get(core, name, r) {
							if (name === 'getObject' && failReads) {
								return async () => {
									throw new Error('node down');
								};
							}
							const value = Reflect.get(core, name, r) as unknown;
							return typeof value === 'function' ? value.bind(core) : value;
						},
					});
				}
				return Reflect.get(target, key, receiver) as unknown;
			},
		});
		const aggregator = await startAggregator({
			config: {
				keyServerObjectId: committee.objectId,
				tsSdkVersionRequirement: req('>=0.10.0'),
				rustSdkVersionRequirement: req('>=0.0.0'),
				pythonSdkVersionRequirement: req('>=0.0.0'),
				keyServerVersionRequirement: req('>=0.6.2'),
				keyServerTimeoutMs: 2000,
				apiCredentials: new Map(),
			},
			client,
			packages: bed.packages,
			refreshIntervalMs: 40,
		});
		const names = () => aggregator.committee().members.map((m) => m.name);
		try {
			expect(names()).toEqual(['member-0', 'member-1', 'member-2']);
			committee.publish(
				0,
				committee.partials().map((p, i) => (i === 1 ? { ...p, name: 'moved' } : p)),
			);
			const until = async (want: string[]) => {
				const end = Date.now() + 5000;
				while (JSON.stringify(names()) !== JSON.stringify(want)) {
					if (Date.now() > end) throw new Error(`still ${names().join(',')}`);
					await new Promise((r) => setTimeout(r, 20));
				}
			};
			await until(['member-0', 'moved', 'member-2']);
			failReads = true;
			committee.publish(0);
			await new Promise((r) => setTimeout(r, 200));
			expect(names()).toEqual(['member-0', 'moved', 'member-2']);
			failReads = false;
			await until(['member-0', 'member-1', 'member-2']);
		} finally {
			committee.publish(0);
			await aggregator.close();
		}
	});
});

describe('aggregator without credentials for a member', () => {
	it('does not ask that member (upstream: Failure for it) and still reaches threshold with the others', async () => {
		// The testbed configures credentials for all members; here one name changes on chain.
		const renamed = committee.partials().map((p, i) => (i === 2 ? { ...p, name: 'renamed' } : p));
		committee.publish(0, renamed);
		await committee.aggregator.refresh();
		const asked: string[] = [];
		committee.setFetch(async (input, init) => {
			asked.push(String(input));
			return fetch(input, init);
		});
		try {
			const res = await fetch(`${committee.aggregator.url}/v1/fetch_key`, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', ...sdk('typescript', '1.4.12') },
				body: await fetchKeyBody(),
			});
			expect(res.status).toBe(200);
			expect(asked).not.toContain(`${memberUrl(2)}/v1/fetch_key`);
			const errors = await committee.aggregatorMetrics.upstreamErrors.get();
			expect(
				errors.values.some(
					(v) => v.labels.key_server_name === 'renamed' && v.labels.error_type === 'Failure',
				),
			).toBe(true);
		} finally {
			committee.setFetch(fetch);
			committee.publish(0);
			await committee.aggregator.refresh();
		}
	});
});
