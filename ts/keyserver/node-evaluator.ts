/**
 * The real policy evaluator: simulates the approval PTB on a Sui full node with the certificate's
 * user as sender, the way Mysten's key server does (SEAL_NOTES §3.2):
 * - the client's object references are never trusted: like Mysten's server (seal
 *   crates/key-server/src/sui_rpc_client.rs `strip_transaction`, MystenLabs/seal ddc7e5d6), the
 *   version and digest of every object input (owned, Receiving, shared with its initial shared
 *   version) are stripped and the node resolves them (gRPC). JSON-RPC's dry run cannot resolve,
 *   so there every reference is re-read from the node right before the simulation;
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
import {
	GrpcTypes,
	isSuiGrpcClient,
	parseGrpcSimulateTransactionResponse,
	type SuiGrpcClient,
} from '@mysten/sui/grpc';
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
type ObjectArg = Extract<CallArg, { $kind: 'Object' }>['Object'];

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
			const ptb = this.#sealPackageId
				? withStalenessCheck(
						validPtb.ptb,
						this.#sealPackageId,
						this.#now(),
						this.#allowedStalenessMs,
					)
				: validPtb.ptb;
			const gasPrice = await this.#referenceGasPrice();
			const client = this.#client;
			result = await this.#rpc('simulate_transaction', () =>
				isSuiGrpcClient(client)
					? simulateUnresolved(client, ptb, sender, gasPrice)
					: this.#simulateResolved(ptb, sender, gasPrice),
			);
		} catch (error) {
			return rpcFailure(error);
		}
		const tx = result.$kind === 'Transaction' ? result.Transaction : result.FailedTransaction;
		const status = tx.effects.status;
		// Upstream records the cost of every simulation that ran, whatever its outcome.
		const cost = Number(tx.effects.gasUsed?.computationCost);
		const withCost = Number.isFinite(cost) ? { computationCost: cost } : {};
		if (status.success) return { allowed: true, ...withCost };
		return { ...executionFailure(status.error, this.#sealPackageId), ...withCost };
	}

	/** JSON-RPC: a dry run needs full references, so every one is re-read from the node. */
	async #simulateResolved(
		ptb: ProgrammableTransaction,
		sender: string,
		gasPrice: bigint,
	): Promise<SuiClientTypes.SimulateTransactionResult<{ effects: true }>> {
		const resolved = await resolveObjectRefs(this.#client, ptb);
		const transaction = bcs.TransactionData.serialize({
			V1: {
				kind: { ProgrammableTransaction: resolved },
				sender,
				gasData: { payment: [], owner: sender, price: gasPrice, budget: GAS_BUDGET },
				expiration: { None: null },
			},
		}).toBytes();
		// Like Mysten: empty gas payment, so the user needs no SUI.
		const request = { transaction, include: { effects: true as const }, doGasSelection: false };
		return this.#client.core.simulateTransaction(request);
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

/**
 * The gRPC `SimulateTransaction` request Mysten's server sends: the PTB with every object input
 * reduced to kind + id (+ mutability for shared objects), no version or digest, so the node
 * resolves each against its current state; empty gas payment, no gas selection.
 */
export function unresolvedSimulationRequest(
	ptb: ProgrammableTransaction,
	sender: string,
	gasPrice: bigint,
): GrpcTypes.SimulateTransactionRequest {
	const { Input_InputKind: Kind, Argument_ArgumentKind: Arg } = GrpcTypes;
	const inputs = ptb.inputs.map((input): GrpcTypes.Input => {
		if (input.$kind === 'Pure') {
			return { kind: Kind.PURE, pure: Buffer.from(input.Pure.bytes, 'base64') };
		}
		if (input.$kind !== 'Object') {
			throw new UnsupportedInputError(`unsupported input kind ${input.$kind}`);
		}
		const object = input.Object;
		switch (object.$kind) {
			case 'ImmOrOwnedObject':
				return { kind: Kind.IMMUTABLE_OR_OWNED, objectId: object.ImmOrOwnedObject.objectId };
			case 'Receiving':
				return { kind: Kind.RECEIVING, objectId: object.Receiving.objectId };
			case 'SharedObject':
				return {
					kind: Kind.SHARED,
					objectId: object.SharedObject.objectId,
					mutable: object.SharedObject.mutable,
				};
		}
	});
	const commands = ptb.commands.map((command): GrpcTypes.Command => {
		if (command.$kind !== 'MoveCall') {
			throw new UnsupportedInputError(`unsupported command ${command.$kind}`);
		}
		const call = command.MoveCall;
		return {
			command: {
				oneofKind: 'moveCall',
				moveCall: {
					package: call.package,
					module: call.module,
					function: call.function,
					typeArguments: call.typeArguments,
					arguments: call.arguments.map((a): GrpcTypes.Argument => {
						switch (a.$kind) {
							case 'GasCoin':
								return { kind: Arg.GAS };
							case 'Input':
								return { kind: Arg.INPUT, input: a.Input };
							case 'Result':
								return { kind: Arg.RESULT, result: a.Result };
							case 'NestedResult':
								return {
									kind: Arg.RESULT,
									result: a.NestedResult[0],
									subresult: a.NestedResult[1],
								};
						}
					}),
				},
			},
		};
	});
	return {
		transaction: {
			version: 1,
			kind: {
				data: {
					oneofKind: 'programmableTransaction',
					programmableTransaction: { inputs, commands },
				},
			},
			sender,
			gasPayment: { objects: [], owner: sender, price: gasPrice, budget: GAS_BUDGET },
			expiration: { kind: GrpcTypes.TransactionExpiration_TransactionExpirationKind.NONE },
		},
		readMask: { paths: ['transaction.effects.status', 'transaction.effects.gas_used'] },
		doGasSelection: false,
		checks: GrpcTypes.SimulateTransactionRequest_TransactionChecks.ENABLED,
	};
}

/** Simulates on a gRPC node with unresolved object inputs, parsed by the SDK's own parser. */
async function simulateUnresolved(
	client: SuiGrpcClient,
	ptb: ProgrammableTransaction,
	sender: string,
	gasPrice: bigint,
): Promise<SuiClientTypes.SimulateTransactionResult<{ effects: true }>> {
	const { response } = await client.transactionExecutionService.simulateTransaction(
		GrpcTypes.SimulateTransactionRequest.create(unresolvedSimulationRequest(ptb, sender, gasPrice)),
	);
	return parseGrpcSimulateTransactionResponse(response, {
		include: { effects: true },
	}) as SuiClientTypes.SimulateTransactionResult<{ effects: true }>;
}

/**
 * Every object input re-pointed to what the node holds now: owned and Receiving objects at their
 * latest version and digest, shared objects at the initial shared version the node reports.
 */
export async function resolveObjectRefs(
	client: ClientWithCoreApi,
	ptb: ProgrammableTransaction,
): Promise<ProgrammableTransaction> {
	const ids = [
		...new Set(
			ptb.inputs.flatMap((input) =>
				input.$kind === 'Object' ? [normalizeSuiAddress(objectArgId(input.Object))] : [],
			),
		),
	];
	if (ids.length === 0) return ptb;
	const { objects } = await client.core.getObjects({ objectIds: ids });
	const current = new Map<string, SuiClientTypes.Object>();
	for (const object of objects) {
		if (object instanceof Error) throw new NotFoundError(object.message);
		current.set(normalizeSuiAddress(object.objectId), object);
	}
	const lookup = (objectId: string): SuiClientTypes.Object => {
		const object = current.get(normalizeSuiAddress(objectId));
		if (!object) throw new NotFoundError(`object ${objectId} not found`);
		return object;
	};
	const inputs = ptb.inputs.map((input): CallArg => {
		if (input.$kind !== 'Object') return input;
		const o = input.Object;
		if (o.$kind === 'SharedObject') {
			const owner = lookup(o.SharedObject.objectId).owner;
			if (owner.$kind !== 'Shared') {
				throw new NotFoundError(`object ${o.SharedObject.objectId} is not shared`);
			}
			return {
				$kind: 'Object',
				Object: {
					$kind: 'SharedObject',
					SharedObject: {
						objectId: o.SharedObject.objectId,
						initialSharedVersion: owner.Shared.initialSharedVersion,
						mutable: o.SharedObject.mutable,
					},
				},
			} as CallArg;
		}
		// Owned and Receiving: the same reference at the node's latest version and digest.
		const objectId = objectArgId(o);
		const now = lookup(objectId);
		const fresh = { objectId, version: now.version, digest: now.digest };
		return { $kind: 'Object', Object: { $kind: o.$kind, [o.$kind]: fresh } } as CallArg;
	});
	return { ...ptb, inputs };
}

/** The id an object input names (BCS `ObjectArg` has exactly these three kinds). */
function objectArgId(o: ObjectArg): string {
	switch (o.$kind) {
		case 'ImmOrOwnedObject':
			return o.ImmOrOwnedObject.objectId;
		case 'Receiving':
			return o.Receiving.objectId;
		case 'SharedObject':
			return o.SharedObject.objectId;
	}
}

/**
 * An input or command the simulation cannot express. The PTB checks reject non-MoveCall commands
 * and non-Input arguments; a `FundsWithdrawal` input passes them and ends here (answer: Failure).
 */
class UnsupportedInputError extends Error {
	override name = 'UnsupportedInputError';
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
