/**
 * Seal testbed for OFFLINE tests: n in-process key servers (our `ts/keyserver`, real HTTP on
 * 127.0.0.1) registered in an `OfflineSuiRegistry`, a policy package at version 1, and a
 * `FixedEvaluator` standing in for the Move policy. The real `SealClient` / `SessionKey` run
 * against it unmodified.
 *
 * Typical use:
 * ```ts
 * const bed = await startSealTestbed({ serverCount: 3 });
 * const client = new SealClient({ suiClient: bed.suiClient, serverConfigs: bed.serverConfigs() });
 * const { encryptedObject } = await client.encrypt({ threshold: 2, packageId: bed.packageId, id, data });
 * const user = bed.newUser();
 * bed.policy.allow(id, user.toSuiAddress());
 * const sessionKey = await bed.newSessionKey(user);
 * const txBytes = await bed.approveTxBytes([fromHex(id)]);
 * await client.decrypt({ data: encryptedObject, sessionKey, txBytes });
 * await bed.close();
 * ```
 * - `servers[i].stop()` / `.start()` take a server down and bring it back on the same URL.
 * - `servers[i].stats` counts requests that reached the server (e.g. one `fetch_key` per batch).
 * - Use a fresh `SealClient` per access check: the SDK caches keys for its lifetime.
 * - Approval PTBs call `<packageId>::policy::seal_approve(id)`; with `FixedEvaluator` no Move code
 *   runs, so the module/function names only have to pass the key server's PTB rules.
 * - Own PTBs: build with `tx.build({ client: bed.registry, onlyTransactionKind: true })` using pure
 *   inputs or fully specified object refs (`Inputs.SharedObjectRef`, `Inputs.ObjectRef`); the
 *   registry cannot resolve bare object ids (it is not a chain).
 * - Upgraded package ids: `bed.registry.registerPackage(id, 2)` + `bed.packages.set(id, bed.packageId)`.
 */
import { SessionKey, type SealCompatibleClient } from '@mysten/seal';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import type { Logger } from '../../ts/logger.js';
import { buildApproveTxBytes, type ApproveTarget } from '../../ts/seal/approve.js';
import type { AddressAliasLookup } from '../../ts/keyserver/address-aliases.js';
import type { CurveBackendName } from '../../ts/keyserver/curve/curve.js';
import { FixedEvaluator } from '../../ts/keyserver/evaluator.js';
import { generateMasterKey } from '../../ts/keyserver/keys.js';
import type { MvrLookup } from '../../ts/keyserver/mvr.js';
import { StaticPackageResolver } from '../../ts/keyserver/packages.js';
import {
	startKeyServer,
	type KeyServerStats,
	type RunningKeyServer,
} from '../../ts/keyserver/server.js';
import { OfflineSuiRegistry, randomObjectId } from './offline-sui-registry.js';

export interface TestKeyServer {
	readonly objectId: string;
	/** Registered URL (stable across stop/start). */
	readonly url: string;
	/** 96-byte master public key. */
	readonly publicKey: Uint8Array;
	readonly running: boolean;
	/** Counters of the current run (reset by `start()`). */
	readonly stats: KeyServerStats;
	stop(): Promise<void>;
	start(): Promise<void>;
}

export interface SealTestbed {
	/** The offline registry (also good enough for `SessionKey.create` and pure-only `tx.build`). */
	suiClient: SealCompatibleClient;
	registry: OfflineSuiRegistry;
	/** Policy package id, registered at version 1 (original id). */
	packageId: string;
	servers: TestKeyServer[];
	/** `{objectId, weight: 1}` for the given servers (default: all, in order). */
	serverConfigs(objectIds?: string[]): { objectId: string; weight: number }[];
	/** Allow/deny table the key servers consult instead of running Move. */
	policy: FixedEvaluator;
	/** The servers' package map (add upgraded package ids → original id here). */
	packages: StaticPackageResolver;
	/** Kind-only PTB bytes with one `seal_approve(id)` call on `packageId` per inner id. */
	approveTxBytes(innerIds: Uint8Array[]): Promise<Uint8Array>;
	/** A fresh keypair (user of a session key). */
	newUser(): Ed25519Keypair;
	/** The SDK's `SessionKey.create` for `user` on `packageId` (TTL 10 minutes). */
	newSessionKey(user: Ed25519Keypair): Promise<SessionKey>;
	close(): Promise<void>;
}

export interface SealTestbedOptions {
	serverCount: number;
	/** Receives every server's log lines (they must never contain key material). */
	logger?: Logger;
	/** Master keys to use (one per server); default: fresh random keys. */
	masterKeys?: Uint8Array[];
	/** Key-server object ids (one per server) and the policy package id; default: random. */
	objectIds?: string[];
	packageId?: string;
	/** Clock for certificate checks (ms). */
	now?: () => number;
	/** Servers' maximum session TTL in minutes (default 30, Mysten's default). */
	ttlMaxMinutes?: number;
	/** Curve backend per server (default: the server's default, mcl). */
	curveBackends?: CurveBackendName[];
	/** The servers' address-alias check (default: none, no node to ask). */
	addressAliases?: AddressAliasLookup;
	/** The servers' MVR resolver (default: none, every name answers `Failure`). */
	mvr?: MvrLookup;
	/**
	 * Key worker threads per server (default 0: user keys computed inline). A pool costs each
	 * server ~0.5 s of CPU to start (every worker loads the curve code through tsx) and adds
	 * nothing to what a Seal round trip proves; the pool itself is tested in keyserver-key-pool,
	 * keyserver-key-worker and the permissioned and roundtrip protocol tests, which ask for one.
	 */
	workers?: number;
}

export async function startSealTestbed(options: SealTestbedOptions): Promise<SealTestbed> {
	const registry = new OfflineSuiRegistry();
	const packageId = registry.registerPackage(options.packageId ?? randomObjectId(), 1);
	const policy = new FixedEvaluator();
	const packages = new StaticPackageResolver([[packageId, packageId]]);
	const servers: ManagedServer[] = [];
	try {
		for (let i = 0; i < options.serverCount; i++) {
			const masterKey = options.masterKeys?.[i] ?? generateMasterKey();
			const objectId = options.objectIds?.[i] ?? randomObjectId();
			const server = new ManagedServer(objectId, (port) =>
				startKeyServer({
					masterKey,
					objectId,
					evaluator: policy,
					packages,
					port,
					workers: options.workers ?? 0,
					...(options.logger ? { logger: options.logger } : {}),
					...(options.now ? { now: options.now } : {}),
					...(options.ttlMaxMinutes ? { ttlMaxMinutes: options.ttlMaxMinutes } : {}),
					...(options.curveBackends?.[i] ? { curveBackend: options.curveBackends[i] } : {}),
					...(options.addressAliases ? { addressAliases: options.addressAliases } : {}),
					...(options.mvr ? { mvr: options.mvr } : {}),
				}),
			);
			await server.start();
			registry.registerKeyServer({
				objectId,
				name: `test-key-server-${i + 1}`,
				url: server.url,
				publicKey: server.publicKey,
			});
			servers.push(server);
		}
	} catch (error) {
		await Promise.all(servers.map((s) => s.stop()));
		throw error;
	}

	return {
		suiClient: registry,
		registry,
		packageId,
		servers,
		policy,
		packages,
		serverConfigs: (objectIds) =>
			(objectIds ?? servers.map((s) => s.objectId)).map((objectId) => ({ objectId, weight: 1 })),
		async approveTxBytes(innerIds) {
			const tx = new Transaction();
			for (const id of innerIds) {
				tx.moveCall({
					target: `${packageId}::policy::seal_approve`,
					arguments: [tx.pure.vector('u8', Array.from(id))],
				});
			}
			return tx.build({ client: registry, onlyTransactionKind: true });
		},
		newUser: () => Ed25519Keypair.generate(),
		newSessionKey: (user) =>
			SessionKey.create({
				address: user.toSuiAddress(),
				packageId,
				ttlMin: 10,
				signer: user,
				suiClient: registry,
			}),
		async close() {
			await Promise.all(servers.map((s) => s.stop()));
		},
	};
}

/** One key server that can be stopped and started again on the same port. */
class ManagedServer implements TestKeyServer {
	readonly objectId: string;
	#publicKey: Uint8Array | undefined;
	#port = 0;
	#running: RunningKeyServer | undefined;
	#lastStats: KeyServerStats = { fetchKeyRequests: 0, fetchKeyIds: 0, serviceRequests: 0 };
	readonly #launch: (port: number) => Promise<RunningKeyServer>;

	constructor(objectId: string, launch: (port: number) => Promise<RunningKeyServer>) {
		this.objectId = objectId;
		this.#launch = launch;
	}

	get url(): string {
		return `http://127.0.0.1:${this.#port}`;
	}
	get publicKey(): Uint8Array {
		if (!this.#publicKey) throw new Error('server never started');
		return this.#publicKey;
	}
	get running(): boolean {
		return this.#running !== undefined;
	}
	get stats(): KeyServerStats {
		return this.#running?.stats ?? this.#lastStats;
	}

	async start(): Promise<void> {
		if (this.#running) return;
		const running = await this.#launch(this.#port);
		this.#running = running;
		this.#port = running.port;
		this.#publicKey = running.publicKey;
	}

	async stop(): Promise<void> {
		const running = this.#running;
		if (!running) return;
		this.#running = undefined;
		this.#lastStats = { ...running.stats };
		await running.close();
	}
}

/**
 * The harness's own approval-PTB builder (ts/seal/approve.ts), usable without a node: allowlist
 * objects get a fixed shared version, which the offline key servers do not look at.
 */
export function offlineApproveBuilder(packageId: string) {
	return (targets: ApproveTarget[]): Promise<Uint8Array> =>
		buildApproveTxBytes({
			packageId,
			targets: targets.map((t) =>
				t.policy === 'allowlist' ? { ...t, initialSharedVersion: 1 } : t,
			),
		});
}
