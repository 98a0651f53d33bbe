import { bcs } from '@mysten/sui/bcs';
import { Inputs, Transaction } from '@mysten/sui/transactions';
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { describe, expect, it, vi } from 'vitest';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { JsonRpcHTTPTransport, SuiJsonRpcClient } from '@mysten/sui/jsonRpc';
import {
	executionFailure,
	NodeEvaluator,
	unresolvedSimulationRequest,
	withStalenessCheck,
} from '../../../ts/keyserver/node-evaluator.js';
import { encode, grpcWebFetch, GrpcWebStatus } from '../../support/grpc-web.js';
import { validatePtb } from '../../../ts/keyserver/valid-ptb.js';

const PKG = `0x${'ab'.repeat(32)}`;
const SEAL = `0x${'5e'.repeat(32)}`;
const CLOCK = '0x0000000000000000000000000000000000000000000000000000000000000006';

async function ptbWith(clock: boolean) {
	const tx = new Transaction();
	const args = [tx.pure.vector('u8', [1, 2])];
	if (clock)
		args.push(
			tx.object(
				Inputs.SharedObjectRef({ objectId: '0x6', initialSharedVersion: 1, mutable: false }),
			),
		);
	tx.moveCall({ target: `${PKG}::m::seal_approve`, arguments: args });
	return validatePtb((await tx.build({ onlyTransactionKind: true })).slice(1)).ptb;
}

describe('staleness check prepended for the simulation', () => {
	it('adds seal::time::check_staleness(now, allowed, clock) first and reuses the PTB clock', async () => {
		const ptb = await ptbWith(true);
		const out = withStalenessCheck(ptb, SEAL, 1234, 120_000);
		// Round-trips through BCS (what gets sent to the node).
		const again = bcs.ProgrammableTransaction.parse(
			bcs.ProgrammableTransaction.serialize(out).toBytes(),
		);
		expect(again.commands).toHaveLength(2);
		const check = again.commands[0]!.MoveCall!;
		expect([check.package, check.module, check.function]).toEqual([
			SEAL,
			'time',
			'check_staleness',
		]);
		const [now, allowed, clock] = check.arguments.map((a) => a.Input!);
		expect(bcs.u64().parse(Buffer.from(again.inputs[now!]!.Pure!.bytes, 'base64'))).toBe('1234');
		expect(bcs.u64().parse(Buffer.from(again.inputs[allowed!]!.Pure!.bytes, 'base64'))).toBe(
			'120000',
		);
		expect(clock).toBe(1);
		expect(again.inputs).toHaveLength(4);
		// The original call is unchanged and its input indices still point at the same inputs.
		expect(again.commands[1]).toEqual(
			bcs.ProgrammableTransaction.parse(bcs.ProgrammableTransaction.serialize(ptb).toBytes())
				.commands[0],
		);
	});

	it('appends an immutable Clock input when the PTB has none', async () => {
		const out = withStalenessCheck(await ptbWith(false), SEAL, 1, 2);
		const clockIndex = out.commands[0]!.MoveCall!.arguments[2]!.Input!;
		const clock = out.inputs[clockIndex]!.Object!.SharedObject!;
		expect(clock.objectId).toBe(CLOCK);
		expect(clock.mutable).toBe(false);
	});
});

describe('simulation outcome → key-server answer', () => {
	it('abort 93492 in seal::time → Failure; FunctionNotFound → InvalidPTB; other errors → NoAccess', () => {
		expect(
			executionFailure(
				{
					$kind: 'MoveAbort',
					message: 'stale',
					MoveAbort: { abortCode: '93492', location: { package: SEAL, module: 'time' } },
				},
				SEAL,
			),
		).toMatchObject({ allowed: false, error: 'Failure' });
		expect(
			executionFailure(
				{
					$kind: 'MoveAbort',
					message: 'abort 93492 elsewhere',
					MoveAbort: { abortCode: '93492', location: { package: PKG, module: 'policy' } },
				},
				SEAL,
			),
		).toMatchObject({ error: 'NoAccess' });
		expect(
			executionFailure(
				{ $kind: 'Unknown', message: 'FunctionNotFound in command 1', Unknown: null },
				SEAL,
			),
		).toMatchObject({
			error: 'InvalidPTB',
		});
		expect(
			executionFailure({ $kind: 'Unknown', message: 'FUNCTION_NOT_FOUND', Unknown: null }, SEAL),
		).toMatchObject({ error: 'InvalidPTB' });
		expect(
			executionFailure(
				{
					$kind: 'MoveAbort',
					message: 'ENotMember',
					MoveAbort: { abortCode: '1', location: { package: PKG, module: 'allowlist' } },
				},
				SEAL,
			),
		).toEqual({ allowed: false, error: 'NoAccess', detail: 'ENotMember' });
	});
});

// --- What goes over the wire to the full node ---------------------------------------------

const SENDER = `0x${'5a'.repeat(32)}`;
const OWNED = `0x${'0e'.repeat(32)}`;
const RECEIVED = `0x${'0f'.repeat(32)}`;
const SHARED = `0x${'1a'.repeat(32)}`;
const STALE_DIGEST = '4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi';
const NODE_DIGEST = 'HHmLJ7zX4ZgdSmFfxR9S1bTVqBR7E4E8Bqs1SMxAG2Lz';

/** A PTB naming one object of every kind, each with references the client made up. */
async function ptbWithEveryObjectKind() {
	const tx = new Transaction();
	tx.moveCall({
		target: `${PKG}::m::seal_approve`,
		arguments: [
			tx.pure.vector('u8', [1, 2]),
			tx.object(Inputs.ObjectRef({ objectId: OWNED, version: 3, digest: STALE_DIGEST })),
			tx.object(Inputs.ReceivingRef({ objectId: RECEIVED, version: 4, digest: STALE_DIGEST })),
			tx.object(
				Inputs.SharedObjectRef({ objectId: SHARED, initialSharedVersion: 99, mutable: false }),
			),
		],
	});
	return validatePtb((await tx.build({ onlyTransactionKind: true })).slice(1));
}

describe('NodeEvaluator on a gRPC node: object references are left to the node', () => {
	it('sends every object input without version or digest, with its kind and mutability', async () => {
		const { GrpcTypes } = await import('@mysten/sui/grpc');
		const requests: unknown[] = [];
		const { fetch, calls } = grpcWebFetch(({ path, request }) => {
			if (path.endsWith('/GetEpoch')) {
				return encode(GrpcTypes.GetEpochResponse, { epoch: { referenceGasPrice: 750n } });
			}
			if (path.endsWith('/SimulateTransaction')) {
				requests.push(GrpcTypes.SimulateTransactionRequest.fromBinary(request));
				return encode(GrpcTypes.SimulateTransactionResponse, {
					transaction: { effects: { status: { success: true } } },
				});
			}
			throw new Error(`unexpected call ${path}`);
		});
		const client = new SuiGrpcClient({ network: 'localnet', baseUrl: 'http://node.test', fetch });
		const evaluator = new NodeEvaluator({ client, sealPackageId: SEAL, now: () => 5_000 });
		const validPtb = await ptbWithEveryObjectKind();
		const decision = await evaluator.evaluate({
			ptb: new Uint8Array(),
			validPtb,
			sender: SENDER,
			originalPackageId: PKG,
		});
		expect(decision).toEqual({ allowed: true });
		// Nothing was read to fill in references: only the gas price and the simulation.
		expect(calls.map((c) => c.path.split('/').pop())).toEqual(['GetEpoch', 'SimulateTransaction']);

		const sent = GrpcTypes.SimulateTransactionRequest.fromBinary(calls[1]!.request);
		const { Input_InputKind: Kind } = GrpcTypes;
		const tx = sent.transaction!;
		const ptb = tx.kind!.data;
		if (ptb.oneofKind !== 'programmableTransaction') throw new Error('not a PTB');
		const objects = ptb.programmableTransaction.inputs.filter((i) => i.kind !== Kind.PURE);
		expect(objects.map((i) => [i.kind, i.objectId, i.version, i.digest, i.mutable])).toEqual([
			[Kind.IMMUTABLE_OR_OWNED, OWNED, undefined, undefined, undefined],
			[Kind.RECEIVING, RECEIVED, undefined, undefined, undefined],
			[Kind.SHARED, SHARED, undefined, undefined, false],
			// The staleness check's Clock, appended like Mysten's server does.
			[Kind.SHARED, CLOCK, undefined, undefined, false],
		]);
		// Pure bytes untouched; the staleness check runs first, then the user's call.
		const [pure] = ptb.programmableTransaction.inputs;
		expect(pure?.kind).toBe(Kind.PURE);
		expect(Array.from(pure?.pure ?? [])).toEqual([2, 1, 2]);
		const moveCalls = ptb.programmableTransaction.commands.map((c) =>
			c.command.oneofKind === 'moveCall'
				? `${c.command.moveCall.module}::${c.command.moveCall.function}`
				: c.command.oneofKind,
		);
		expect(moveCalls).toEqual(['time::check_staleness', 'm::seal_approve']);
		// Arguments keep pointing at the same inputs: staleness check (now, allowed, appended
		// Clock), then the user's call with its four inputs.
		const { Argument_ArgumentKind: Arg } = GrpcTypes;
		const args = ptb.programmableTransaction.commands.map((c) =>
			c.command.oneofKind === 'moveCall'
				? c.command.moveCall.arguments.map((a) => [a.kind, a.input])
				: [],
		);
		expect(args).toEqual([
			[
				[Arg.INPUT, 4],
				[Arg.INPUT, 5],
				[Arg.INPUT, 6],
			],
			[0, 1, 2, 3].map((i) => [Arg.INPUT, i]),
		]);
		expect(tx.expiration?.kind).toBe(
			GrpcTypes.TransactionExpiration_TransactionExpirationKind.NONE,
		);
		// Mysten's read mask (SEAL_NOTES §3.2); a mask without `transaction.effects.status` would
		// leave the node's answer without the status the decision is read from.
		expect(sent.readMask?.paths).toEqual([
			'transaction.effects.status',
			'transaction.effects.gas_used',
		]);
		expect(sent.checks).toBe(GrpcTypes.SimulateTransactionRequest_TransactionChecks.ENABLED);
		expect(tx.sender).toBe(SENDER);
		expect(tx.gasPayment).toMatchObject({ objects: [], price: 750n, budget: 500_000_000n });
		expect(sent.doGasSelection).toBe(false);
		expect(requests).toHaveLength(1);
	});

	it('maps a failed simulation through the SDK parser (abort → NoAccess)', async () => {
		const { GrpcTypes } = await import('@mysten/sui/grpc');
		const { fetch } = grpcWebFetch(({ path }) =>
			path.endsWith('/GetEpoch')
				? encode(GrpcTypes.GetEpochResponse, { epoch: { referenceGasPrice: 1000n } })
				: encode(GrpcTypes.SimulateTransactionResponse, {
						transaction: {
							effects: {
								status: {
									success: false,
									error: {
										description: 'MoveAbort in 1st command, abort code: 4',
										command: 1n,
										kind: GrpcTypes.ExecutionError_ExecutionErrorKind.MOVE_ABORT,
										errorDetails: {
											oneofKind: 'abort',
											abort: {
												abortCode: 4n,
												location: {
													package: PKG,
													module: 'm',
													function: 1,
													functionName: 'seal_approve',
												},
											},
										},
									},
								},
							},
						},
					}),
		);
		const client = new SuiGrpcClient({ network: 'localnet', baseUrl: 'http://node.test', fetch });
		const decision = await new NodeEvaluator({ client }).evaluate({
			ptb: new Uint8Array(),
			validPtb: await ptbWithEveryObjectKind(),
			sender: SENDER,
			originalPackageId: PKG,
		});
		expect(decision).toMatchObject({ allowed: false, error: 'NoAccess' });
	});
});

describe('NodeEvaluator on a JSON-RPC node: references re-read from the node', () => {
	it('dry-runs owned/Receiving objects at the node’s version and shared ones at its initial version', async () => {
		const dryRuns: string[] = [];
		const fetch = (async (_url: string | URL | Request, init?: RequestInit) => {
			const request = JSON.parse(String(init?.body)) as {
				id: number;
				method: string;
				params: unknown[];
			};
			const answer = (result: unknown) =>
				new Response(JSON.stringify({ jsonrpc: '2.0', id: request.id, result }), {
					headers: { 'content-type': 'application/json' },
				});
			if (request.method === 'suix_getReferenceGasPrice') return answer('1000');
			if (request.method === 'sui_multiGetObjects') {
				// Shapes as sui-json-rpc-types SuiObjectResponse (owner tagged as JSON-RPC prints it).
				const ids = request.params[0] as string[];
				return answer(
					ids.map((objectId) => ({
						data: {
							objectId,
							version: objectId === SHARED ? '120' : '17',
							digest: NODE_DIGEST,
							type: `${PKG}::m::Thing`,
							owner:
								objectId === SHARED
									? { Shared: { initial_shared_version: 7 } }
									: { AddressOwner: SENDER },
						},
					})),
				);
			}
			if (request.method === 'sui_dryRunTransactionBlock') {
				dryRuns.push(request.params[0] as string);
				return answer({
					effects: {
						messageVersion: 'v1',
						status: { status: 'success' },
						executedEpoch: '0',
						gasUsed: {
							computationCost: '1000',
							storageCost: '0',
							storageRebate: '0',
							nonRefundableStorageFee: '0',
						},
						transactionDigest: NODE_DIGEST,
						gasObject: {
							owner: { AddressOwner: SENDER },
							reference: { objectId: '0x0', version: 0, digest: NODE_DIGEST },
						},
						dependencies: [],
					},
					events: [],
					objectChanges: [],
					balanceChanges: [],
					input: {},
				});
			}
			throw new Error(`unexpected ${request.method}`);
		}) as typeof globalThis.fetch;
		const client = new SuiJsonRpcClient({
			network: 'localnet',
			transport: new JsonRpcHTTPTransport({ url: 'http://node.test', fetch }),
		});
		const decision = await new NodeEvaluator({ client }).evaluate({
			ptb: new Uint8Array(),
			validPtb: await ptbWithEveryObjectKind(),
			sender: SENDER,
			originalPackageId: PKG,
		});
		// The simulation's computation cost rides along (Permissioned mode's gas metric).
		expect(decision).toEqual({ allowed: true, computationCost: 1000 });
		expect(dryRuns).toHaveLength(1);
		const data = bcs.TransactionData.parse(Buffer.from(dryRuns[0]!, 'base64')).V1!;
		const objects = data.kind.ProgrammableTransaction!.inputs.flatMap((i) =>
			i.$kind === 'Object' ? [i.Object] : [],
		);
		expect(objects).toEqual([
			{
				$kind: 'ImmOrOwnedObject',
				ImmOrOwnedObject: { objectId: OWNED, version: '17', digest: NODE_DIGEST },
			},
			{ $kind: 'Receiving', Receiving: { objectId: RECEIVED, version: '17', digest: NODE_DIGEST } },
			{
				$kind: 'SharedObject',
				SharedObject: { objectId: SHARED, initialSharedVersion: '7', mutable: false },
			},
		]);
		expect(data.gasData).toMatchObject({ payment: [], price: '1000', owner: SENDER });
	});
});

// --- Staleness check and outcome mapping, edge cases ----------------------------------------

describe('staleness check: a Clock that is the PTB’s first input', () => {
	it('is reused at index 0, not appended a second time', async () => {
		const tx = new Transaction();
		const clock = tx.object(
			Inputs.SharedObjectRef({ objectId: '0x6', initialSharedVersion: 1, mutable: false }),
		);
		tx.moveCall({
			target: `${PKG}::m::seal_approve`,
			arguments: [tx.pure.vector('u8', [1]), clock],
		});
		const ptb = validatePtb((await tx.build({ onlyTransactionKind: true })).slice(1)).ptb;
		expect(ptb.inputs[0]?.$kind).toBe('Object');
		const out = withStalenessCheck(ptb, SEAL, 1, 2);
		expect(out.commands[0]!.MoveCall!.arguments.map((a) => a.Input)).toEqual([2, 3, 0]);
		expect(out.inputs).toHaveLength(4);
	});
});

describe('execution error → answer: only Seal’s own staleness abort means a stale node', () => {
	const abort = (abortCode: string, location?: { package?: string; module: string }) =>
		({
			$kind: 'MoveAbort',
			message: `abort ${abortCode}`,
			MoveAbort: { abortCode, location },
		}) as Parameters<typeof executionFailure>[0];
	const stale = { allowed: false, error: 'Failure', detail: 'Fullnode is stale' };
	const denied = (code: string) => ({ allowed: false, error: 'NoAccess', detail: `abort ${code}` });

	it('93492 in <seal>::time → Failure', () => {
		expect(executionFailure(abort('93492', { package: SEAL, module: 'time' }), SEAL)).toEqual(
			stale,
		);
		// The node may print the package id in short form.
		const shortSeal = `0x${'00'.repeat(31)}5e`;
		expect(
			executionFailure(abort('93492', { package: '0x5e', module: 'time' }), shortSeal),
		).toEqual(stale);
		// A location without a package is taken as Seal's (the module and code still have to match).
		expect(executionFailure(abort('93492', { module: 'time' }), SEAL)).toEqual(stale);
	});

	it('the same code from a policy’s own `time` module, another module, or nowhere → NoAccess', () => {
		expect(executionFailure(abort('93492', { package: PKG, module: 'time' }), SEAL)).toEqual(
			denied('93492'),
		);
		expect(executionFailure(abort('93492', { package: SEAL, module: 'key_server' }), SEAL)).toEqual(
			denied('93492'),
		);
		expect(executionFailure(abort('93492'), SEAL)).toEqual(denied('93492'));
		// Another abort code in seal::time is a denial too.
		expect(executionFailure(abort('1', { package: SEAL, module: 'time' }), SEAL)).toEqual(
			denied('1'),
		);
	});

	it('without a configured Seal package, 93492 in any `time` module is staleness; elsewhere a denial', () => {
		expect(executionFailure(abort('93492', { package: PKG, module: 'time' }), undefined)).toEqual(
			stale,
		);
		expect(executionFailure(abort('93492', { package: PKG, module: 'policy' }), undefined)).toEqual(
			denied('93492'),
		);
	});

	it('FunctionNotFound → InvalidPTB with Mysten’s text; an error without text → its kind', () => {
		expect(
			executionFailure({ $kind: 'Unknown', message: 'FunctionNotFound', Unknown: null }, SEAL),
		).toEqual({
			allowed: false,
			error: 'InvalidPTB',
			detail: 'The seal_approve function was not found on the module',
		});
		expect(
			executionFailure(
				{ $kind: 'InsufficientGas', message: '', InsufficientGas: true } as never,
				SEAL,
			),
		).toEqual({ allowed: false, error: 'NoAccess', detail: 'InsufficientGas' });
	});
});

// --- The gRPC request for PTB shapes the key server itself never forwards ---------------------

describe('unresolvedSimulationRequest: every argument kind, and inputs it cannot express', () => {
	const pure = { $kind: 'Pure', Pure: { bytes: 'AQ==' } };
	const call = (args: unknown[]) => ({
		$kind: 'MoveCall',
		MoveCall: { package: PKG, module: 'm', function: 'f', typeArguments: [], arguments: args },
	});
	const request = (inputs: unknown[], commands: unknown[]) =>
		unresolvedSimulationRequest({ inputs, commands } as never, SENDER, 1000n);

	it('maps GasCoin, Input, Result and NestedResult to the proto’s kind/input/result/subresult', async () => {
		const { GrpcTypes } = await import('@mysten/sui/grpc');
		const { Argument_ArgumentKind: Arg } = GrpcTypes;
		const sent = request(
			[pure],
			[
				call([
					{ $kind: 'GasCoin', GasCoin: true },
					{ $kind: 'Input', Input: 0 },
					{ $kind: 'Result', Result: 7 },
					{ $kind: 'NestedResult', NestedResult: [2, 3] },
				]),
			],
		);
		const ptb = sent.transaction!.kind!.data;
		if (ptb.oneofKind !== 'programmableTransaction') throw new Error('not a PTB');
		const [command] = ptb.programmableTransaction.commands;
		if (command?.command.oneofKind !== 'moveCall') throw new Error('not a move call');
		expect(command.command.moveCall.arguments).toEqual([
			{ kind: Arg.GAS },
			{ kind: Arg.INPUT, input: 0 },
			{ kind: Arg.RESULT, result: 7 },
			{ kind: Arg.RESULT, result: 2, subresult: 3 },
		]);
	});

	it('refuses an input that is neither Pure nor an object, instead of dropping it (indices would shift)', () => {
		const withdrawal = { $kind: 'FundsWithdrawal', FundsWithdrawal: {} };
		expect(() => request([pure, withdrawal], [call([{ $kind: 'Input', Input: 0 }])])).toThrow(
			expect.objectContaining({ name: 'UnsupportedInputError' }),
		);
	});

	it('refuses a command that is not a Move call', () => {
		const transfer = {
			$kind: 'TransferObjects',
			TransferObjects: { objects: [], address: { $kind: 'Input', Input: 0 } },
		};
		expect(() => request([pure], [transfer])).toThrow(
			expect.objectContaining({ name: 'UnsupportedInputError' }),
		);
	});
});

// --- RPC errors from a gRPC node --------------------------------------------------------------

describe('NodeEvaluator on a gRPC node: status codes → answers', () => {
	// sui-rpc answers an unknown input object with NotFound and a wrongly owned one with
	// InvalidArgument (MystenLabs/sui crates/sui-rpc-api/src/grpc/v2/transaction_execution_service/
	// simulate/resolve/mod.rs @ 61dcfdbe2ddc7ad05d27fc10cd09d4c6cc151acd); Mysten's key server turns
	// both into InvalidParameter (SEAL_NOTES §3.2), anything else into Failure.
	async function evaluateWith(
		status: { code: number; message: string },
		on = 'SimulateTransaction',
	) {
		const { GrpcTypes } = await import('@mysten/sui/grpc');
		const { fetch, calls } = grpcWebFetch(({ path }) => {
			if (path.endsWith(`/${on}`)) throw new GrpcWebStatus(status.code, status.message);
			if (path.endsWith('/GetEpoch')) {
				return encode(GrpcTypes.GetEpochResponse, { epoch: { referenceGasPrice: 1000n } });
			}
			throw new Error(`unexpected call ${path}`);
		});
		const client = new SuiGrpcClient({ network: 'localnet', baseUrl: 'http://node.test', fetch });
		const decision = await new NodeEvaluator({ client }).evaluate({
			ptb: new Uint8Array(),
			validPtb: await ptbWithEveryObjectKind(),
			sender: SENDER,
			originalPackageId: PKG,
		});
		return { decision, paths: calls.map((c) => c.path.split('/').pop()) };
	}

	it('NotFound and InvalidArgument → InvalidParameter carrying the node’s message', async () => {
		const missing = `Object ${OWNED} not found`;
		expect((await evaluateWith({ code: 5, message: missing })).decision).toEqual({
			allowed: false,
			error: 'InvalidParameter',
			detail: missing,
		});
		const owned = `object ${SHARED} is not Immutable or AddressOwned`;
		expect((await evaluateWith({ code: 3, message: owned })).decision).toEqual({
			allowed: false,
			error: 'InvalidParameter',
			detail: owned,
		});
	});

	it('any other status (Unavailable, Internal) → Failure', async () => {
		expect((await evaluateWith({ code: 14, message: 'overloaded' })).decision).toEqual({
			allowed: false,
			error: 'Failure',
			detail: 'overloaded',
		});
		expect((await evaluateWith({ code: 13, message: 'boom' })).decision).toMatchObject({
			error: 'Failure',
		});
	});

	it('a failed gas-price read → Failure, and nothing is simulated', async () => {
		const { decision, paths } = await evaluateWith({ code: 14, message: 'down' }, 'GetEpoch');
		expect(decision).toEqual({ allowed: false, error: 'Failure', detail: 'down' });
		expect(paths).toEqual(['GetEpoch']);
	});
});

// --- A JSON-RPC node: canned answers per method ---------------------------------------------

/** A successful dry run, shaped as sui-json-rpc-types `DryRunTransactionBlockResponse`. */
const DRY_RUN_OK = {
	effects: {
		messageVersion: 'v1',
		status: { status: 'success' },
		executedEpoch: '0',
		gasUsed: {
			computationCost: '1000',
			storageCost: '0',
			storageRebate: '0',
			nonRefundableStorageFee: '0',
		},
		transactionDigest: NODE_DIGEST,
		gasObject: {
			owner: { AddressOwner: SENDER },
			reference: { objectId: '0x0', version: 0, digest: NODE_DIGEST },
		},
		dependencies: [],
	},
	events: [],
	objectChanges: [],
	balanceChanges: [],
	input: {},
};

/** A JSON-RPC 2.0 error answer (`{ code, message }`), as jsonrpsee sends it. */
class JsonRpcFault {
	constructor(
		readonly code: number,
		readonly message: string,
	) {}
}

type Answer = (params: unknown[]) => unknown;

function jsonRpcNode(answers: Record<string, Answer>) {
	const calls: { method: string; params: unknown[] }[] = [];
	const fetch = (async (_url: string | URL | Request, init?: RequestInit) => {
		const request = JSON.parse(String(init?.body)) as {
			id: number;
			method: string;
			params: unknown[];
		};
		calls.push({ method: request.method, params: request.params });
		const answer = answers[request.method];
		if (!answer) throw new Error(`unexpected ${request.method}`);
		const result = answer(request.params);
		const body =
			result instanceof JsonRpcFault
				? { jsonrpc: '2.0', id: request.id, error: { code: result.code, message: result.message } }
				: { jsonrpc: '2.0', id: request.id, result };
		return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
	}) as typeof globalThis.fetch;
	const client = new SuiJsonRpcClient({
		network: 'localnet',
		transport: new JsonRpcHTTPTransport({ url: 'http://node.test', fetch }),
	});
	return { client, calls, methods: () => calls.map((c) => c.method) };
}

/** `sui_multiGetObjects` data for an object at version 17 with `owner` (JSON-RPC's tagged form). */
const objectData = (objectId: string, owner: unknown) => ({
	data: { objectId, version: '17', digest: NODE_DIGEST, type: `${PKG}::m::Thing`, owner },
});

/** A PTB whose only input is the pure id (no objects to re-read). */
async function pureOnlyPtb() {
	const tx = new Transaction();
	tx.moveCall({ target: `${PKG}::m::seal_approve`, arguments: [tx.pure.vector('u8', [1, 2])] });
	return validatePtb((await tx.build({ onlyTransactionKind: true })).slice(1));
}

async function evaluateOn(
	client: SuiJsonRpcClient,
	validPtb: Awaited<ReturnType<typeof pureOnlyPtb>>,
	options: Partial<ConstructorParameters<typeof NodeEvaluator>[0]> = {},
) {
	return new NodeEvaluator({ client, ...options }).evaluate({
		ptb: new Uint8Array(),
		validPtb,
		sender: SENDER,
		originalPackageId: PKG,
	});
}

describe('NodeEvaluator on a JSON-RPC node: what is read before the dry run', () => {
	it('a PTB without object inputs reads no objects', async () => {
		const node = jsonRpcNode({
			suix_getReferenceGasPrice: () => '1000',
			sui_dryRunTransactionBlock: () => DRY_RUN_OK,
		});
		expect(await evaluateOn(node.client, await pureOnlyPtb())).toMatchObject({ allowed: true });
		expect(node.methods()).toEqual(['suix_getReferenceGasPrice', 'sui_dryRunTransactionBlock']);
	});

	// Object errors as sui-json-rpc-types `SuiObjectResponseError` (`{ code: 'notExists', object_id }`),
	// the shape MystenLabs/ts-sdks packages/sui/src/jsonRpc/core.ts @ db170e3bbd0ee67bb39b3c897ccc868df67d6f7c
	// (mapJsonRpcObjectError) reads.
	it('an object the node does not know → InvalidParameter, no dry run', async () => {
		const node = jsonRpcNode({
			suix_getReferenceGasPrice: () => '1000',
			sui_multiGetObjects: ([ids]) =>
				(ids as string[]).map((id) =>
					id === RECEIVED
						? { error: { code: 'notExists', object_id: id } }
						: objectData(
								id,
								id === SHARED
									? { Shared: { initial_shared_version: 7 } }
									: { AddressOwner: SENDER },
							),
				),
		});
		const decision = await evaluateOn(node.client, await ptbWithEveryObjectKind());
		expect(decision).toMatchObject({ allowed: false, error: 'InvalidParameter' });
		expect(decision.allowed === false && decision.detail).toContain(RECEIVED);
		expect(node.methods()).not.toContain('sui_dryRunTransactionBlock');
	});

	it('an answer that leaves an object out → InvalidParameter naming it, no dry run', async () => {
		const node = jsonRpcNode({
			suix_getReferenceGasPrice: () => '1000',
			sui_multiGetObjects: ([ids]) =>
				(ids as string[])
					.filter((id) => id !== OWNED)
					.map((id) =>
						objectData(
							id,
							id === SHARED ? { Shared: { initial_shared_version: 7 } } : { AddressOwner: SENDER },
						),
					),
		});
		const decision = await evaluateOn(node.client, await ptbWithEveryObjectKind());
		expect(decision).toMatchObject({ allowed: false, error: 'InvalidParameter' });
		expect(decision.allowed === false && decision.detail).toContain(OWNED);
		expect(node.methods()).not.toContain('sui_dryRunTransactionBlock');
	});

	it('a “shared” input the node holds as an owned object → InvalidParameter, no dry run', async () => {
		const node = jsonRpcNode({
			suix_getReferenceGasPrice: () => '1000',
			sui_multiGetObjects: ([ids]) =>
				(ids as string[]).map((id) => objectData(id, { AddressOwner: SENDER })),
		});
		const decision = await evaluateOn(node.client, await ptbWithEveryObjectKind());
		expect(decision).toMatchObject({ allowed: false, error: 'InvalidParameter' });
		expect(decision.allowed === false && decision.detail).toContain(SHARED);
		expect(node.methods()).not.toContain('sui_dryRunTransactionBlock');
	});
});

describe('NodeEvaluator on a JSON-RPC node: dry-run errors', () => {
	// Mysten's key server maps jsonrpsee INVALID_PARAMS (-32602) to InvalidParameter and every other
	// call error to Failure (MystenLabs/seal crates/key-server/src/server.rs @
	// e7694e1d9120e46de3dd21407aa839178b3c1d40, check_policy).
	const failingDryRun = (fault: JsonRpcFault) =>
		jsonRpcNode({
			suix_getReferenceGasPrice: () => '1000',
			sui_dryRunTransactionBlock: () => fault,
		});

	it('invalid params (-32602) → InvalidParameter with the node’s message', async () => {
		const message = 'Invalid params: could not find object';
		const node = failingDryRun(new JsonRpcFault(-32602, message));
		expect(await evaluateOn(node.client, await pureOnlyPtb())).toEqual({
			allowed: false,
			error: 'InvalidParameter',
			detail: message,
		});
	});

	it('any other JSON-RPC error → Failure', async () => {
		const node = failingDryRun(new JsonRpcFault(-32603, 'internal error'));
		expect(await evaluateOn(node.client, await pureOnlyPtb())).toEqual({
			allowed: false,
			error: 'Failure',
			detail: 'internal error',
		});
	});
});

describe('reference gas price: read once per interval and used in the simulation', () => {
	function pricedNode() {
		let price = 1000;
		const prices: string[] = [];
		const node = jsonRpcNode({
			suix_getReferenceGasPrice: () => String(price++),
			sui_dryRunTransactionBlock: ([txBytes]) => {
				const data = bcs.TransactionData.parse(Buffer.from(txBytes as string, 'base64')).V1!;
				prices.push(data.gasData.price);
				return DRY_RUN_OK;
			},
		});
		const reads = () => node.methods().filter((m) => m === 'suix_getReferenceGasPrice').length;
		return { ...node, prices, reads };
	}

	it('by default reuses a price for 60 s and reads a fresh one at 60 s', async () => {
		const node = pricedNode();
		let now = 1_000_000;
		const evaluator = new NodeEvaluator({ client: node.client, now: () => now });
		const ptb = await pureOnlyPtb();
		const run = () =>
			evaluator.evaluate({
				ptb: new Uint8Array(),
				validPtb: ptb,
				sender: SENDER,
				originalPackageId: PKG,
			});
		await run();
		now += 59_999;
		await run();
		expect(node.reads()).toBe(1);
		now += 1;
		await run();
		expect(node.reads()).toBe(2);
		expect(node.prices).toEqual(['1000', '1000', '1001']);
	});

	it('honours a configured interval', async () => {
		const node = pricedNode();
		let now = 50;
		const evaluator = new NodeEvaluator({
			client: node.client,
			now: () => now,
			rgpUpdateIntervalMs: 5_000,
		});
		const ptb = await pureOnlyPtb();
		const run = () =>
			evaluator.evaluate({
				ptb: new Uint8Array(),
				validPtb: ptb,
				sender: SENDER,
				originalPackageId: PKG,
			});
		await run();
		now += 4_999;
		await run();
		now += 1;
		await run();
		expect(node.prices).toEqual(['1000', '1000', '1001']);
	});
});

// --- Any other core client (e.g. GraphQL): what NodeEvaluator asks of the core API -------------

/**
 * A core client that is neither gRPC nor JSON-RPC, answering with the SDK's core result shapes
 * (`SuiClientTypes`). `tick` advances a fake `performance.now()` as a node call would take time.
 */
function coreClient(simulate: (request: unknown) => Promise<unknown>, tick = (_ms: number) => {}) {
	const requests: unknown[] = [];
	const client = {
		core: {
			getReferenceGasPrice: async () => {
				tick(30);
				return { referenceGasPrice: '1000' };
			},
			simulateTransaction: async (request: unknown) => {
				requests.push(request);
				tick(50);
				return simulate(request);
			},
		},
	} as unknown as ClientWithCoreApi;
	return { client, requests };
}

const SIMULATED_OK = {
	$kind: 'Transaction',
	Transaction: { effects: { status: { success: true, error: null } } },
};

describe('NodeEvaluator on another core client', () => {
	const evaluate = async (
		client: ClientWithCoreApi,
		options: Partial<ConstructorParameters<typeof NodeEvaluator>[0]> = {},
	) =>
		new NodeEvaluator({ client, ...options }).evaluate({
			ptb: new Uint8Array(),
			validPtb: await pureOnlyPtb(),
			sender: SENDER,
			originalPackageId: PKG,
		});

	it('asks for no gas selection (GraphQL’s core client would otherwise select gas for an empty payment)', async () => {
		// MystenLabs/ts-sdks packages/sui/src/graphql/core.ts: doGasSelection defaults to
		// "payment is empty" when the caller does not say.
		const { client, requests } = coreClient(async () => SIMULATED_OK);
		expect(await evaluate(client)).toEqual({ allowed: true });
		expect(requests).toEqual([
			expect.objectContaining({ doGasSelection: false, include: { effects: true } }),
		]);
	});

	it('reports each node call to onRpc with its method, outcome and duration', async () => {
		let clock = 1_000;
		const spy = vi.spyOn(performance, 'now').mockImplementation(() => clock);
		try {
			const seen: [string, boolean, number][] = [];
			const onRpc = (method: string, ok: boolean, ms: number) => void seen.push([method, ok, ms]);
			const ok = coreClient(
				async () => SIMULATED_OK,
				(ms) => (clock += ms),
			);
			await evaluate(ok.client, { onRpc });
			const failing = coreClient(
				async () => {
					throw new Error('connection reset');
				},
				(ms) => (clock += ms),
			);
			expect(await evaluate(failing.client, { onRpc })).toEqual({
				allowed: false,
				error: 'Failure',
				detail: 'connection reset',
			});
			expect(seen).toEqual([
				['get_reference_gas_price', true, 30],
				['simulate_transaction', true, 50],
				['get_reference_gas_price', true, 30],
				['simulate_transaction', false, 50],
			]);
		} finally {
			spy.mockRestore();
		}
	});

	it('numeric gRPC status codes (as @grpc/grpc-js errors carry them): 3 and 5 → InvalidParameter', async () => {
		for (const code of [3, 5]) {
			const { client } = coreClient(async () => {
				throw Object.assign(new Error(`status ${code}`), { code });
			});
			expect(await evaluate(client)).toEqual({
				allowed: false,
				error: 'InvalidParameter',
				detail: `status ${code}`,
			});
		}
		const { client } = coreClient(async () => {
			throw Object.assign(new Error('status 14'), { code: 14 });
		});
		expect(await evaluate(client)).toMatchObject({ error: 'Failure' });
	});

	it('a rejection that is not an Error still ends in a Failure answer, never a throw', async () => {
		for (const reason of ['socket hang up', null]) {
			const { client } = coreClient(() => Promise.reject(reason));
			expect(await evaluate(client)).toEqual({
				allowed: false,
				error: 'Failure',
				detail: String(reason),
			});
		}
	});
});
