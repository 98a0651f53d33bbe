/**
 * The real policy evaluator: simulates the approval PTB on a Sui full node with the certificate's
 * user as sender, the way Mysten's key server does (SEAL_NOTES §3.2):
 * - object inputs are re-pointed to their latest versions (the server ignores the client's refs);
 * - with a Seal package id configured, `<seal>::time::check_staleness(now, allowed, clock)` runs
 *   first, reusing the PTB's shared Clock input or adding one;
 * - gas: no payment objects, budget 500_000_000 at the reference gas price;
 * - outcome: success → allow; Move abort in `time` with code 93492 → Failure (stale full node);
 *   FunctionNotFound → InvalidPTB; any other execution error → NoAccess; an RPC error saying
 *   invalid argument / not found → InvalidParameter; any other RPC error → Failure.
 * Works with any @mysten/sui 2.x core client: `SuiGrpcClient` (gRPC SimulateTransaction) or
 * `SuiJsonRpcClient` (dry run).
 */
import { bcs } from '@mysten/sui/bcs';
import type { ClientWithCoreApi, SuiClientTypes } from '@mysten/sui/client';
import { normalizeSuiAddress, SUI_CLOCK_OBJECT_ID } from '@mysten/sui/utils';
import type { PolicyDecision, PolicyEvaluator, PolicyRequest } from './evaluator.js';
import type { ProgrammableTransaction } from './valid-ptb.js';

/** Seal's `EStaleFullnode` abort code in `seal::time`. */
const STALE_FULLNODE_ABORT = '93492';
const GAS_BUDGET = 500_000_000n;
const RGP_REFRESH_MS = 60_000;

export interface NodeEvaluatorOptions {
	/** Core client of the full node the policy is evaluated on. */
	client: ClientWithCoreApi;
	/** Published-at id of Mysten's `seal` package (holds `seal::time`); omit to skip the staleness check. */
	sealPackageId?: string;
	/** Mysten's `allowed_staleness` (default 2 minutes). */
	allowedStalenessMs?: number;
	/** Mysten's `rgp_update_interval`: how long a reference gas price is reused (default 60 s). */
	rgpUpdateIntervalMs?: number;
	/** Called after each full-node call (Mysten's `sui_rpc_request_duration_millis`). */
	onRpc?: (method: string, ok: boolean, ms: number) => void;
	now?: () => number;
}

type CallArg = ProgrammableTransaction['inputs'][number];
type Command = ProgrammableTransaction['commands'][number];

export class NodeEvaluator implements PolicyEvaluator {
	readonly #client: ClientWithCoreApi;
	readonly #sealPackageId: string | undefined;
	readonly #allowedStalenessMs: number;
	readonly #now: () => number;
	readonly #rgpUpdateIntervalMs: number;
	readonly #onRpc: NodeEvaluatorOptions['onRpc'];
	#gasPrice: { value: bigint; at: number } | undefined;

	constructor(options: NodeEvaluatorOptions) {
		this.#client = options.client;
		this.#sealPackageId = options.sealPackageId
			? normalizeSuiAddress(options.sealPackageId)
			: undefined;
		this.#allowedStalenessMs = options.allowedStalenessMs ?? 120_000;
		this.#now = options.now ?? Date.now;
		this.#rgpUpdateIntervalMs = options.rgpUpdateIntervalMs ?? RGP_REFRESH_MS;
		this.#onRpc = options.onRpc;
	}

	async #rpc<T>(method: string, call: () => Promise<T>): Promise<T> {
		const start = performance.now();
		let ok = false;
		try {
			const result = await call();
			ok = true;
			return result;
		} finally {
			this.#onRpc?.(method, ok, performance.now() - start);
		}
	}

	async evaluate({ validPtb, sender }: PolicyRequest): Promise<PolicyDecision> {
		let result: SuiClientTypes.SimulateTransactionResult<{ effects: true }>;
		try {
			const latest = await this.#latestObjectRefs(validPtb.ptb);
			const ptb = this.#sealPackageId
				? withStalenessCheck(latest, this.#sealPackageId, this.#now(), this.#allowedStalenessMs)
				: latest;
			const gasPrice = await this.#referenceGasPrice();
			const transaction = bcs.TransactionData.serialize({
				V1: {
					kind: { ProgrammableTransaction: ptb },
					sender,
					gasData: { payment: [], owner: sender, price: gasPrice, budget: GAS_BUDGET },
					expiration: { None: true },
				},
			}).toBytes();
			// Like Mysten: empty gas payment and no gas selection (gRPC), so the user needs no SUI.
			const request = { transaction, include: { effects: true as const }, doGasSelection: false };
			result = await this.#rpc('simulate_transaction', () =>
				this.#client.core.simulateTransaction(request),
			);
		} catch (error) {
			return rpcFailure(error);
		}
		const tx = result.$kind === 'Transaction' ? result.Transaction : result.FailedTransaction;
		const status = tx.effects.status;
		if (status.success) return { allowed: true };
		return executionFailure(status.error, this.#sealPackageId);
	}

	/** Owned/immutable inputs → the node's latest version and digest (Mysten strips refs). */
	async #latestObjectRefs(ptb: ProgrammableTransaction): Promise<ProgrammableTransaction> {
		const owned = ptb.inputs.flatMap((input) =>
			input.$kind === 'Object' && input.Object.$kind === 'ImmOrOwnedObject'
				? [input.Object.ImmOrOwnedObject.objectId]
				: [],
		);
		if (owned.length === 0) return ptb;
		const { objects } = await this.#client.core.getObjects({ objectIds: owned });
		const latest = new Map<string, { version: string; digest: string }>();
		for (const object of objects) {
			if (object instanceof Error) throw new NotFoundError(object.message);
			latest.set(normalizeSuiAddress(object.objectId), {
				version: object.version,
				digest: object.digest,
			});
		}
		const inputs = ptb.inputs.map((input): CallArg => {
			if (input.$kind !== 'Object' || input.Object.$kind !== 'ImmOrOwnedObject') return input;
			const ref = input.Object.ImmOrOwnedObject;
			const now = latest.get(normalizeSuiAddress(ref.objectId));
			if (!now) throw new NotFoundError(`object ${ref.objectId} not found`);
			return {
				$kind: 'Object',
				Object: {
					$kind: 'ImmOrOwnedObject',
					ImmOrOwnedObject: { objectId: ref.objectId, version: now.version, digest: now.digest },
				},
			} as CallArg;
		});
		return { ...ptb, inputs };
	}

	async #referenceGasPrice(): Promise<bigint> {
		const cached = this.#gasPrice;
		if (cached && this.#now() - cached.at < this.#rgpUpdateIntervalMs) return cached.value;
		const { referenceGasPrice } = await this.#rpc('get_reference_gas_price', () =>
			this.#client.core.getReferenceGasPrice(),
		);
		const value = BigInt(referenceGasPrice);
		this.#gasPrice = { value, at: this.#now() };
		return value;
	}
}

/**
 * Prepends `<sealPackageId>::time::check_staleness(nowMs, allowedMs, clock)`, reusing a shared
 * Clock input when the PTB has one. Existing input indices stay valid (new inputs are appended).
 */
export function withStalenessCheck(
	ptb: ProgrammableTransaction,
	sealPackageId: string,
	nowMs: number,
	allowedStalenessMs: number,
): ProgrammableTransaction {
	const inputs: CallArg[] = [...ptb.inputs];
	const pure = (bytes: Uint8Array): number =>
		inputs.push({
			$kind: 'Pure',
			Pure: { bytes: Buffer.from(bytes).toString('base64') },
		} as CallArg) - 1;
	const nowIndex = pure(bcs.u64().serialize(nowMs).toBytes());
	const stalenessIndex = pure(bcs.u64().serialize(allowedStalenessMs).toBytes());
	let clockIndex = inputs.findIndex(
		(input) =>
			input.$kind === 'Object' &&
			input.Object.$kind === 'SharedObject' &&
			normalizeSuiAddress(input.Object.SharedObject.objectId) === SUI_CLOCK_OBJECT_ID,
	);
	if (clockIndex < 0) {
		clockIndex =
			inputs.push({
				$kind: 'Object',
				Object: {
					$kind: 'SharedObject',
					SharedObject: {
						objectId: SUI_CLOCK_OBJECT_ID,
						initialSharedVersion: '1',
						mutable: false,
					},
				},
			} as CallArg) - 1;
	}
	const check = {
		$kind: 'MoveCall',
		MoveCall: {
			package: normalizeSuiAddress(sealPackageId),
			module: 'time',
			function: 'check_staleness',
			typeArguments: [],
			arguments: [nowIndex, stalenessIndex, clockIndex].map((Input) => ({ $kind: 'Input', Input })),
		},
	} as Command;
	return { inputs, commands: [check, ...ptb.commands] };
}

/** An input object the node does not know (yet): Mysten answers `InvalidParameter`. */
class NotFoundError extends Error {
	override name = 'NotFoundError';
}

/** Maps a failed simulation's execution error to the key server's answer. */
export function executionFailure(
	error: SuiClientTypes.ExecutionError,
	sealPackageId: string | undefined,
): PolicyDecision {
	if (error.$kind === 'MoveAbort' && error.MoveAbort.abortCode === STALE_FULLNODE_ABORT) {
		const location = error.MoveAbort.location;
		const inSeal =
			location?.module === 'time' &&
			(!sealPackageId ||
				!location.package ||
				normalizeSuiAddress(location.package) === sealPackageId);
		if (inSeal) return { allowed: false, error: 'Failure', detail: 'Fullnode is stale' };
	}
	// JSON-RPC says `FunctionNotFound`, gRPC descriptions may say `FUNCTION_NOT_FOUND` or prose.
	if (
		error.message
			.toLowerCase()
			.replace(/[^a-z]/g, '')
			.includes('functionnotfound')
	) {
		return {
			allowed: false,
			error: 'InvalidPTB',
			detail: 'The seal_approve function was not found on the module',
		};
	}
	return { allowed: false, error: 'NoAccess', detail: error.message || error.$kind };
}

/** gRPC InvalidArgument / NotFound (or JSON-RPC invalid params) → InvalidParameter; else Failure. */
function rpcFailure(error: unknown): PolicyDecision {
	const message = error instanceof Error ? error.message : String(error);
	const code = (error as { code?: unknown } | null)?.code;
	const invalid =
		error instanceof NotFoundError ||
		code === 'INVALID_ARGUMENT' ||
		code === 'NOT_FOUND' ||
		code === 3 ||
		code === 5 ||
		code === -32602;
	return invalid
		? { allowed: false, error: 'InvalidParameter', detail: message }
		: { allowed: false, error: 'Failure', detail: message };
}
