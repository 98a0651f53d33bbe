import { bcs } from '@mysten/sui/bcs';
import { Inputs, Transaction } from '@mysten/sui/transactions';
import { describe, expect, it } from 'vitest';
import { SuiGrpcClient } from '@mysten/sui/grpc';
import { JsonRpcHTTPTransport, SuiJsonRpcClient } from '@mysten/sui/jsonRpc';
import {
	executionFailure,
	NodeEvaluator,
	withStalenessCheck,
} from '../../ts/keyserver/node-evaluator.js';
import { encode, grpcWebFetch } from '../support/grpc-web.js';
import { validatePtb } from '../../ts/keyserver/valid-ptb.js';

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
		expect(decision).toEqual({ allowed: true });
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
