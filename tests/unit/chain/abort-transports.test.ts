/**
 * Policy aborts as each transport really delivers them, parsed by the SDK's own code: canned
 * full-node answers go through the unmodified `SuiGrpcClient` / `SuiJsonRpcClient` (execute and
 * simulate/dry-run), and what comes out is mapped by `errorFromExecutionStatus`.
 *
 * Shapes follow upstream:
 * - gRPC: `ExecutionError { description, command, kind = MOVE_ABORT, abort: MoveAbort {
 *   abort_code (raw u64), location: MoveLocation { package, module, function, instruction,
 *   function_name }, clever_error: CleverError { error_code, line_number, constant_name,
 *   constant_type, rendered } } }` — MystenLabs/sui-apis proto/sui/rpc/v2/execution_status.proto
 *   @ d694e36be173cbf3f00bf80a2e63902bad6857e1 (the SDK's generated types encode it here).
 * - JSON-RPC: effects `status: { status: "failure", error: "<ExecutionFailureStatus as Debug>
 *   in command N" }` and `abortError: { module_id: "0x…::module", function, line, error_code }`
 *   where a clever abort code is already decoded to its `#[error(code = N)]` value —
 *   MystenLabs/sui crates/sui-json-rpc-types/src/sui_move.rs `SuiMoveAbort::new` (ErrorBitset
 *   `error_code()`), and the Debug form `MoveAbort(MoveLocation { module: ModuleId { address:
 *   <hex>, name: Identifier("m") }, function: F, instruction: I, function_name: Some("f") },
 *   CODE) in command N` as nodes print it. (The search index serving these sources shows that
 *   function without a commit; the SDK side that reads both fields is @mysten/sui 2.33.1
 *   `parseJsonRpcExecutionStatus` in dist/jsonRpc/core.mjs, and `parseGrpcExecutionError` /
 *   `parseMoveAbort` in dist/grpc/core.mjs for gRPC.)
 */
import { bcs } from '@mysten/sui/bcs';
import type { SuiClientTypes } from '@mysten/sui/client';
import { GrpcTypes, SuiGrpcClient } from '@mysten/sui/grpc';
import { JsonRpcHTTPTransport, SuiJsonRpcClient } from '@mysten/sui/jsonRpc';
import { describe, expect, it } from 'vitest';

import { AlreadyMigratedError, DuplicateMemberError, NotMemberError, PolicyNoAccessError, WrongCapError, WrongVersionError } from '../../../ts/policies/errors.js';
import { MoveAbortError } from '../../../ts/chain/errors.js';
import { POLICY_ABORTS } from '../../../ts/policies/errors.js';
import { policyAbortClassifier } from '../../../ts/policies/errors.js';
import { errorFromExecutionStatus } from '../../../ts/chain/transactions.js';
import { encode, grpcWebFetch } from '../../support/grpc-web.js';

const ORIGINAL = `0x${'a1'.repeat(32)}`;
const UPGRADED = `0x${'a2'.repeat(32)}`;
const FOREIGN = `0x${'f0'.repeat(32)}`;
const OURS = [ORIGINAL, UPGRADED];
const DIGEST = 'HHmLJ7zX4ZgdSmFfxR9S1bTVqBR7E4E8Bqs1SMxAG2Lz';
const SENDER = `0x${'5a'.repeat(32)}`;

/** `#[error(code = N)]` abort code as the Move VM raises it (version 0b1100). */
function cleverCode(code: number, line: number): bigint {
	return (0xcn << 60n) | (BigInt(code) << 48n) | (BigInt(line) << 32n) | (3n << 16n) | 7n;
}

interface Abort {
	pkg: string;
	module: string;
	fn: string;
	constantName: string;
	code: number;
	line: number;
}

// --- gRPC ------------------------------------------------------------------------------

function grpcExecutionError(a: Abort) {
	const raw = cleverCode(a.code, a.line);
	return {
		description: `MoveAbort in 1st command, '${a.constantName}' at line ${a.line}`,
		command: 0n,
		kind: GrpcTypes.ExecutionError_ExecutionErrorKind.MOVE_ABORT,
		errorDetails: {
			oneofKind: 'abort',
			abort: {
				abortCode: raw,
				location: {
					package: a.pkg,
					module: a.module,
					function: 2,
					instruction: 18,
					functionName: a.fn,
				},
				cleverError: {
					errorCode: BigInt(a.code),
					lineNumber: BigInt(a.line),
					constantName: a.constantName,
					constantType: 'vector<u8>',
					value: { oneofKind: 'rendered', rendered: 'message' },
				},
			},
		},
	};
}

function grpcClient(a: Abort) {
	const failed = {
		digest: DIGEST,
		effects: { status: { success: false, error: grpcExecutionError(a) } },
	};
	const { fetch } = grpcWebFetch(({ path }) => {
		if (path.endsWith('/ExecuteTransaction'))
			return encode(GrpcTypes.ExecuteTransactionResponse, { transaction: failed });
		if (path.endsWith('/SimulateTransaction'))
			return encode(GrpcTypes.SimulateTransactionResponse, { transaction: failed });
		throw new Error(`unexpected ${path}`);
	});
	return new SuiGrpcClient({ network: 'localnet', baseUrl: 'http://node.test', fetch });
}

// --- JSON-RPC --------------------------------------------------------------------------

function jsonRpcEffects(a: Abort) {
	const raw = cleverCode(a.code, a.line);
	const hex = a.pkg.slice(2);
	return {
		messageVersion: 'v1',
		status: {
			status: 'failure',
			error:
				`MoveAbort(MoveLocation { module: ModuleId { address: ${hex}, name: Identifier("${a.module}") }, ` +
				`function: 2, instruction: 18, function_name: Some("${a.fn}") }, ${raw}) in command 0`,
		},
		executedEpoch: '3',
		gasUsed: {
			computationCost: '1000000',
			storageCost: '0',
			storageRebate: '0',
			nonRefundableStorageFee: '0',
		},
		transactionDigest: DIGEST,
		gasObject: {
			owner: { AddressOwner: SENDER },
			reference: { objectId: `0x${'9a'.repeat(32)}`, version: 5, digest: DIGEST },
		},
		dependencies: [],
		// The node decoded the clever code: error_code is N, line the source line.
		abortError: {
			module_id: `${a.pkg}::${a.module}`,
			function: a.fn,
			line: a.line,
			error_code: a.code,
		},
	};
}

function jsonRpcClient(a: Abort) {
	const fetch = (async (_url: string | URL | Request, init?: RequestInit) => {
		const request = JSON.parse(String(init?.body)) as { id: number; method: string };
		const answer = (result: unknown) =>
			new Response(JSON.stringify({ jsonrpc: '2.0', id: request.id, result }), {
				headers: { 'content-type': 'application/json' },
			});
		if (request.method === 'sui_executeTransactionBlock')
			return answer({ digest: DIGEST, effects: jsonRpcEffects(a), events: [], objectChanges: [] });
		if (request.method === 'sui_dryRunTransactionBlock')
			return answer({
				effects: jsonRpcEffects(a),
				events: [],
				objectChanges: [],
				balanceChanges: [],
				input: {},
			});
		throw new Error(`unexpected ${request.method}`);
	}) as typeof globalThis.fetch;
	return new SuiJsonRpcClient({
		network: 'localnet',
		transport: new JsonRpcHTTPTransport({ url: 'http://node.test', fetch }),
	});
}

// --- Both, through the SDK ----------------------------------------------------------------

/** Any transaction bytes: the canned node does not look at them. */
const TX_BYTES = bcs.TransactionData.serialize({
	V1: {
		kind: { ProgrammableTransaction: { inputs: [], commands: [] } },
		sender: SENDER,
		gasData: { payment: [], owner: SENDER, price: 1000, budget: 1_000_000 },
		expiration: { None: true },
	},
}).toBytes();

type Transport = 'grpc' | 'jsonrpc';
type Path = 'execute' | 'simulate';

/** The SDK's status for `a` on `transport`, from an execution or a simulation. */
async function sdkStatus(
	transport: Transport,
	path: Path,
	a: Abort,
): Promise<SuiClientTypes.ExecutionStatus> {
	const client = transport === 'grpc' ? grpcClient(a) : jsonRpcClient(a);
	const result =
		path === 'execute'
			? await client.core.executeTransaction({
					transaction: TX_BYTES,
					signatures: ['AA=='],
					include: { effects: true },
				})
			: await client.core.simulateTransaction({
					transaction: TX_BYTES,
					include: { effects: true },
				});
	expect(result.$kind).toBe('FailedTransaction');
	return (result.FailedTransaction ?? result.Transaction).status;
}

const CLASSES = {
	EWrongCap: WrongCapError,
	EDuplicateMember: DuplicateMemberError,
	ENotMember: NotMemberError,
	ENoAccess: PolicyNoAccessError,
	EWrongVersion: WrongVersionError,
	EAlreadyMigrated: AlreadyMigratedError,
} as const;

const CASES = (['grpc', 'jsonrpc'] as const).flatMap((transport) =>
	(['execute', 'simulate'] as const).flatMap((path) =>
		POLICY_ABORTS.map((p) => ({ transport, path, abort: p })),
	),
);

describe('policy aborts are typed on both transports', () => {
	it.each(CASES)(
		'$transport $path: $abort.module::$abort.constantName',
		async ({ transport, path, abort: p }) => {
			const a: Abort = {
				pkg: UPGRADED,
				module: p.module,
				fn: 'add',
				constantName: p.constantName,
				code: p.code,
				line: 120,
			};
			const status = await sdkStatus(transport, path, a);
			// What the transport gave the SDK, so the test says which case it exercises.
			if (!status.success && status.error.$kind === 'MoveAbort') {
				const abort = status.error.MoveAbort;
				if (transport === 'jsonrpc') {
					expect(abort.abortCode).toBe(String(p.code));
					expect(abort.cleverError).toBeUndefined();
				} else {
					expect(abort.cleverError?.constantName).toBe(p.constantName);
				}
			} else {
				throw new Error('expected a MoveAbort status');
			}
			const error = errorFromExecutionStatus(status, DIGEST, 'tx', policyAbortClassifier(OURS));
			expect(error).toBeInstanceOf(CLASSES[p.constantName as keyof typeof CLASSES]);
			expect(error).toMatchObject({
				module: p.module,
				constantName: p.constantName,
				errorCode: p.code,
				packageId: UPGRADED,
			});
		},
	);

	it.each(['grpc', 'jsonrpc'] as const)(
		'%s: an abort located at the original id maps too',
		async (transport) => {
			const status = await sdkStatus(transport, 'execute', {
				pkg: ORIGINAL,
				module: 'allowlist',
				fn: 'remove',
				constantName: 'ENotMember',
				code: 3,
				line: 40,
			});
			expect(
				errorFromExecutionStatus(status, DIGEST, 'tx', policyAbortClassifier(OURS)),
			).toBeInstanceOf(NotMemberError);
		},
	);

	it.each(['grpc', 'jsonrpc'] as const)(
		"%s: another package's allowlist module with the same name and code stays a MoveAbortError",
		async (transport) => {
			const status = await sdkStatus(transport, 'execute', {
				pkg: FOREIGN,
				module: 'allowlist',
				fn: 'remove',
				constantName: 'ENotMember',
				code: 3,
				line: 40,
			});
			const error = errorFromExecutionStatus(status, DIGEST, 'tx', policyAbortClassifier(OURS));
			expect(error.constructor).toBe(MoveAbortError);
			expect(error).toMatchObject({ module: 'allowlist', packageId: FOREIGN });
		},
	);
});
