/**
 * A committee member's key state, as MystenLabs/seal crates/key-server/src/master_keys.rs
 * (`MasterKeys::Committee`, `CommitteeKeyState`) and server.rs (`Server::new`,
 * `fetch_and_validate_committee_partial_pk`, `spawn_committee_version_updater`) at ddc7e5d6 run it:
 * - the share for committee version n is `MASTER_SHARE_V<n>` (hex, 32-byte scalar);
 * - `Active`: the share of the on-chain version; if that is missing, the share of version + 1
 *   (a member that joined in a rotation and waits for it to finish);
 * - `Rotation { target_version }`: on-chain version == target → the target share only; == target-1
 *   → the old share (optional: without it the member answers `Failure` until the rotation is
 *   done) plus the target share; anything else refuses to start;
 * - at start, an Active share must have this member's on-chain `partial_pk`; while rotating, the
 *   on-chain version is polled (30 s) and when it reaches the target the target share is checked
 *   the same way, then served. A mismatch or an unexpected version is fatal (upstream panics).
 * Shares stay in memory (worker threads); they are never logged, returned or written.
 */
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { equalBytes } from '@noble/curves/utils.js';
import { KeyServerRequestError } from '../errors.js';
import { silentLogger, type Logger } from '../../logger.js';
import { loadCurveBackend } from '../curve/backend.js';
import { checkedScalar, type CurveBackendName, type ScalarSource } from '../curve/curve.js';
import { CommitteeShareError, CommitteeShareMismatchError } from '../errors.js';
import { inlineDeriver, startWorkerPool, type KeyDeriver } from '../key-pool.js';
import { MESSAGES } from '../protocol.js';
import { readCommitteeKeyServer, readMemberPartialKeyServer } from './chain.js';
import type { CommitteeModeConfig } from './config.js';

/** Upstream's committee version poll (`spawn_committee_version_updater`). */
export const COMMITTEE_VERSION_POLL_MS = 30_000;

export interface CommitteeMemberOptions {
	/** Chain reads (the same client the key server uses for everything else). */
	client: ClientWithCoreApi;
	config: CommitteeModeConfig;
	/** Where `MASTER_SHARE_V<n>` is read from; every `MASTER_SHARE_V<n>` is deleted from it. */
	env: NodeJS.ProcessEnv;
	backend: CurveBackendName;
	/** Worker threads per share (0 = on the event loop). */
	workers: number;
	/** ElGamal randomness (tests only; needs `workers: 0`). */
	random?: ScalarSource;
	pollIntervalMs?: number;
	logger?: Logger;
	/** Called once when the member must stop serving (upstream panics and exits). */
	onFatal?: (error: Error) => void;
}

export interface CommitteeMemberKeys extends KeyDeriver {
	/** This member's name on chain (its `PartialKeyServer.name`), or undefined if not yet a member. */
	readonly memberName: string | undefined;
	/** The on-chain committee version this member currently serves for. */
	version(): number;
	/** g2^share of the share in use (`/v1/debug/committee_partial_pk`); `Failure` if none. */
	partialPublicKey(): Uint8Array;
}

interface LoadedShare {
	version: number;
	keys: KeyDeriver;
	partialPk: Uint8Array;
}

/** `MASTER_SHARE_V<version>` as a validated scalar, or undefined when the variable is unset. */
export function shareFromEnv(env: NodeJS.ProcessEnv, version: number): Uint8Array | undefined {
	const name = `MASTER_SHARE_V${version}`;
	const value = env[name];
	if (value === undefined || value === '') return undefined;
	delete env[name];
	const hex = value.trim().replace(/^0x/i, '');
	if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
		throw new CommitteeShareError(`${name} must be 64 hex characters (32 bytes), 0x-prefixed`);
	}
	const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
	try {
		checkedScalar(bytes, name);
	} catch (error) {
		bytes.fill(0);
		throw new CommitteeShareError(`${name} is not a valid BLS12-381 scalar`, { cause: error });
	}
	return bytes;
}

export async function loadCommitteeMemberKeys(
	options: CommitteeMemberOptions,
): Promise<CommitteeMemberKeys> {
	const { client, config, env } = options;
	const logger = options.logger ?? silentLogger;
	const onChain = await readCommitteeKeyServer(client, config.keyServerObjectId);
	let version = onChain.version;
	const required = (v: number): Uint8Array => {
		const share = shareFromEnv(env, v);
		if (!share) {
			throw new CommitteeShareError(
				`Expected MASTER_SHARE_V${v}: not set (on-chain committee version is ${version}); ` +
					`export MASTER_SHARE_V${v}=0x<share from the DKG>`,
			);
		}
		return share;
	};

	// Which shares to hold, exactly as MasterKeys::load decides.
	let current: Uint8Array | undefined;
	let next: Uint8Array | undefined;
	let target: number | undefined;
	try {
		if (config.state.kind === 'Active') {
			current = shareFromEnv(env, version);
			if (!current) {
				target = version + 1;
				next = required(target);
			}
		} else {
			target = config.state.targetVersion;
			if (version === target) {
				current = required(target);
				target = undefined;
			} else if (version === target - 1) {
				current = shareFromEnv(env, version);
				if (!current) {
					logger.info(
						`Starting in rotation mode without old share v${version}. Will not serve traffic until rotation completes.`,
					);
				}
				next = required(target);
			} else {
				throw new CommitteeShareError(
					`Rotation mode mismatch: version ${version} doesn't match ${Math.max(target - 1, 0)} or ${target}`,
				);
			}
		}
	} catch (error) {
		current?.fill(0);
		next?.fill(0);
		throw error;
	}

	// Shares this member does not use do not stay in the environment either (children inherit it).
	for (const name of Object.keys(env)) if (/^MASTER_SHARE_V\d+$/.test(name)) delete env[name];

	const curve = await loadCurveBackend(options.backend);
	const build = async (share: Uint8Array, v: number): Promise<LoadedShare> => {
		const ops = curve.withMasterKey(share);
		const partialPk = ops.publicKey();
		if (options.workers === 0)
			return { version: v, keys: inlineDeriver(ops, options.random), partialPk };
		ops.wipe();
		const keys = await startWorkerPool({
			masterKey: share,
			backend: curve.name,
			size: options.workers,
		});
		return { version: v, keys, partialPk };
	};

	let memberName: string | undefined;
	const validate = async (partialPk: Uint8Array, v: number) => {
		const member = await readMemberPartialKeyServer(
			client,
			config.keyServerObjectId,
			config.memberAddress,
			partialPk,
		);
		if (!equalBytes(member.partialPk, partialPk)) {
			throw new CommitteeShareMismatchError(config.memberAddress, v);
		}
		memberName = member.name;
	};

	let active: LoadedShare | undefined;
	let pending: LoadedShare | undefined;
	try {
		if (current) {
			const share = current;
			current = undefined;
			try {
				active = await build(share, version);
			} finally {
				share.fill(0);
			}
			// Upstream checks the share at start only when it is the Active one.
			if (target === undefined) await validate(active.partialPk, version);
		}
		if (next && target !== undefined) {
			const share = next;
			next = undefined;
			try {
				pending = await build(share, target);
			} finally {
				share.fill(0);
			}
		}
	} catch (error) {
		current?.fill(0);
		next?.fill(0);
		await active?.keys.close();
		await pending?.keys.close();
		throw error;
	}

	let fatal: Error | undefined;
	let timer: NodeJS.Timeout | undefined;
	let closed = false;
	const die = (error: Error) => {
		if (fatal) return;
		fatal = error;
		logger.warn(`committee member stops serving: ${error.message}`);
		if (timer) clearInterval(timer);
		options.onFatal?.(error);
	};

	// The share for the current on-chain version (get_committee_server_master_share).
	const inUse = (): LoadedShare => {
		if (fatal) throw new KeyServerRequestError('Failure', MESSAGES.Failure, { cause: fatal });
		if (pending && version === pending.version) return pending;
		if (active && active.version === version) return active;
		const detail =
			pending && version + 1 === pending.version
				? `Rotation in progress: onchain version is ${version}, target is ${pending.version}. Cannot serve traffic without old share.`
				: `Invalid rotation state: onchain version is ${version}, target is ${pending?.version}.`;
		throw new KeyServerRequestError('Failure', MESSAGES.Failure, { cause: new Error(detail) });
	};

	if (pending) {
		const goal = pending.version;
		logger.info(
			`Rotation mode: current version ${version}, target version ${goal}. Starting version monitor.`,
		);
		let polling = false;
		const poll = async () => {
			if (polling || closed || fatal) return;
			polling = true;
			try {
				const seen = (await readCommitteeKeyServer(client, config.keyServerObjectId)).version;
				if (seen === goal) {
					logger.info(
						`Rotation complete at version ${seen}. Validating rotated partial public key.`,
					);
					await validate(pending!.partialPk, goal);
					version = goal;
					clearInterval(timer);
					const old = active;
					active = pending;
					pending = undefined;
					await old?.keys.close();
					logger.info(`Committee version refreshed to ${goal}.`);
				} else if (seen + 1 !== goal) {
					die(
						new CommitteeShareError(
							`CRITICAL: Unexpected onchain version ${seen} (expected ${goal} or ${goal - 1})`,
						),
					);
				}
			} catch (error) {
				if (error instanceof CommitteeShareMismatchError) die(error);
				else logger.warn(`committee version poll failed: ${(error as Error).message}`);
			} finally {
				polling = false;
			}
		};
		timer = setInterval(() => void poll(), options.pollIntervalMs ?? COMMITTEE_VERSION_POLL_MS);
		timer.unref();
	}

	return {
		get memberName() {
			return memberName;
		},
		get workers() {
			return options.workers;
		},
		version: () => version,
		partialPublicKey: () => inUse().partialPk,
		wrap: (encKey, fullIds) => inUse().keys.wrap(encKey, fullIds),
		async close() {
			closed = true;
			if (timer) clearInterval(timer);
			await active?.keys.close();
			await pending?.keys.close();
		},
	};
}
