/**
 * OFFLINE committee for the protocol tier: a trusted dealer's t-of-n Shamir shares of a master key
 * (localnet/tests only: real committees run Mysten's DKG), n committee members (our key server in
 * `!Committee` mode, share from `MASTER_SHARE_V<n>`), the committee `KeyServer` in the offline
 * registry in its on-chain BCS shape, and our aggregator in front. Added to a `SealTestbed`, so
 * independent servers and a committee can share one registry, policy and package.
 *
 * Party ids are 0-based and share i is f(i + 1) (MystenLabs/seal crates/crypto/src/elgamal.rs
 * `aggregate_encrypted`, move/seal/sources/key_server.move `validate_partial_key_servers`, ddc7e5d6).
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { randomBytes } from 'node:crypto';
import { loadCommitteeMemberKeys } from '../../ts/keyserver/committee/member-keys.js';
import type { CommitteeState } from '../../ts/keyserver/committee/config.js';
import { SCALAR_ORDER } from '../../ts/keyserver/curve/curve.js';
import { generateMasterKey, scalarToBytes } from '../../ts/keyserver/keys.js';
import { startKeyServer, type RunningKeyServer } from '../../ts/keyserver/server.js';
import { startAggregator, type RunningAggregator } from '../../ts/keyserver/aggregator/server.js';
import { parseVersionReq } from '../../ts/keyserver/aggregator/version-req.js';
import { AggregatorMetrics } from '../../ts/keyserver/aggregator/metrics.js';
import type { Logger } from '../../ts/logger.js';
import { randomObjectId, type OfflinePartialKeyServer } from './offline-sui-registry.js';
import type { SealTestbed } from './seal-testbed.js';

export function randomScalarBigint(): bigint {
	return (BigInt(`0x${randomBytes(48).toString('hex')}`) % (SCALAR_ORDER - 1n)) + 1n;
}

/** A dealer's sharing: f(0) = secret, shares[i] = f(i + 1). */
export function dealShares(threshold: number, count: number, secret = randomScalarBigint()) {
	const coefficients = [secret, ...Array.from({ length: threshold - 1 }, randomScalarBigint)];
	const evaluate = (x: bigint) =>
		coefficients.reduceRight((acc, c) => (acc * x + c) % SCALAR_ORDER, 0n);
	const shares = Array.from({ length: count }, (_, i) => evaluate(BigInt(i + 1)));
	return { secret, shares };
}

export const g2Of = (scalar: bigint): Uint8Array =>
	bls12_381.G2.Point.BASE.multiply(scalar).toBytes();
export const shareHex = (scalar: bigint): string =>
	`0x${Buffer.from(scalarToBytes(scalar)).toString('hex')}`;

export interface CommitteeMember {
	readonly index: number;
	readonly address: string;
	readonly name: string;
	port: number;
	running: RunningKeyServer | undefined;
	/** Starts the member with `env` (default: its share for the current version). */
	start(env?: NodeJS.ProcessEnv, state?: CommitteeState): Promise<void>;
	stop(): Promise<void>;
}

export interface TestCommittee {
	objectId: string;
	committeeId: string;
	threshold: number;
	publicKey: Uint8Array;
	members: CommitteeMember[];
	/** The dealer's secret f(0) (tests re-share it for a rotation). */
	secret: bigint;
	shares: bigint[];
	aggregator: RunningAggregator;
	aggregatorMetrics: AggregatorMetrics;
	/** `{objectId, weight, aggregatorUrl}` for a `SealClient` config. */
	serverConfig(weight?: number): { objectId: string; weight: number; aggregatorUrl: string };
	/** Rewrites the on-chain committee (URLs from the members' current ports). */
	publish(version: number, partials?: OfflinePartialKeyServer[]): void;
	partials(sharesOverride?: bigint[]): OfflinePartialKeyServer[];
	/** Aggregator member calls go through this (tests delay or break one member). */
	setFetch(fetch: typeof globalThis.fetch): void;
	close(): Promise<void>;
}

export interface CommitteeOptions {
	threshold: number;
	count: number;
	logger?: Logger;
	/** Defaults: version 0, a fresh dealer sharing. */
	version?: number;
	/** Per-member version poll (rotation tests). */
	pollIntervalMs?: number;
	/** Aggregator curve workers (default 0). */
	aggregatorWorkers?: number;
	/** Members' key workers (default 0). */
	memberWorkers?: number;
	/** Aggregator's per-member timeout (default 8000 ms, upstream's 8 s). */
	timeoutMs?: number;
}

export async function addCommittee(
	bed: SealTestbed,
	options: CommitteeOptions,
): Promise<TestCommittee> {
	const { threshold, count } = options;
	const { secret, shares } = dealShares(threshold, count);
	const publicKey = g2Of(secret);
	const addresses = Array.from({ length: count }, () => randomObjectId());
	const names = addresses.map((_, i) => `member-${i}`);
	const committeeId = randomObjectId();
	const version = options.version ?? 0;
	let currentVersion = version;
	const members: CommitteeMember[] = [];
	const partials = (override?: bigint[]): OfflinePartialKeyServer[] =>
		(override ?? shares).map((share, i) => ({
			name: names[i]!,
			url: `http://127.0.0.1:${members[i]?.port ?? 1}`,
			partialPk: g2Of(share),
			partyId: i,
		}));
	const objectId = bed.registry.registerCommittee({
		name: 'test-committee',
		publicKey,
		threshold,
		members: addresses,
		partialKeyServers: partials(),
		version,
		committeeId,
	});
	const publish = (v: number, p = partials()) => {
		currentVersion = v;
		bed.registry.setCommittee(objectId, {
			name: 'test-committee',
			publicKey,
			version: v,
			threshold,
			partialKeyServers: p,
		});
	};

	for (let i = 0; i < count; i++) {
		const member: CommitteeMember = {
			index: i,
			address: addresses[i]!,
			name: names[i]!,
			port: 0,
			running: undefined,
			async start(env, state = { kind: 'Active' }) {
				if (member.running) return;
				const keys = await loadCommitteeMemberKeys({
					client: bed.registry,
					config: { memberAddress: member.address, keyServerObjectId: objectId, state },
					env: env ?? { [`MASTER_SHARE_V${currentVersion}`]: shareHex(shares[i]!) },
					backend: 'mcl',
					workers: options.memberWorkers ?? 0,
					...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
					...(options.logger ? { logger: options.logger } : {}),
				});
				try {
					member.running = await startKeyServer({
						committee: keys,
						objectId,
						evaluator: bed.policy,
						packages: bed.packages,
						port: member.port,
						workers: 0,
						...(options.logger ? { logger: options.logger } : {}),
					});
				} catch (error) {
					await keys.close();
					throw error;
				}
				member.port = member.running.port;
			},
			async stop() {
				const running = member.running;
				member.running = undefined;
				await running?.close();
			},
		};
		members.push(member);
	}
	try {
		for (const member of members) await member.start();
		// Members listen now: record their URLs (`update_member_url`).
		publish(version);
	} catch (error) {
		await Promise.all(members.map((m) => m.stop()));
		throw error;
	}
	let fetchImpl: typeof globalThis.fetch = globalThis.fetch;
	const metrics = new AggregatorMetrics();
	const aggregator = await startAggregator({
		config: {
			keyServerObjectId: objectId,
			tsSdkVersionRequirement: parseVersionReq('>=0.10.0', 'ts'),
			rustSdkVersionRequirement: parseVersionReq('>=0.0.0', 'rust'),
			pythonSdkVersionRequirement: parseVersionReq('>=0.0.0', 'python'),
			keyServerVersionRequirement: parseVersionReq('>=0.6.2', 'ks'),
			keyServerTimeoutMs: options.timeoutMs ?? 8000,
			apiCredentials: new Map(
				names.map((name) => [name, { apiKeyName: 'X-API-Key', apiKey: `key-of-${name}` }]),
			),
		},
		client: bed.registry,
		packages: bed.packages,
		workers: options.aggregatorWorkers ?? 0,
		metrics,
		fetch: (input, init) => fetchImpl(input, init),
		...(options.logger ? { logger: options.logger } : {}),
	});
	return {
		objectId,
		committeeId,
		threshold,
		publicKey,
		members,
		secret,
		shares,
		aggregator,
		aggregatorMetrics: metrics,
		serverConfig: (weight = 1) => ({ objectId, weight, aggregatorUrl: aggregator.url }),
		publish,
		partials,
		setFetch(fetch) {
			fetchImpl = fetch;
		},
		async close() {
			await aggregator.close();
			await Promise.all(members.map((m) => m.stop()));
		},
	};
}

/** A random master key as a bigint (a "wrong share"). */
export function randomShare(): bigint {
	return BigInt(`0x${Buffer.from(generateMasterKey()).toString('hex')}`);
}
