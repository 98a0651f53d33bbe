import { SimulationError, type SuiClientTypes } from '@mysten/sui/client';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import { describe, expect, it, vi } from 'vitest';

import { AlreadyMigratedError, DuplicateMemberError, NotMemberError, PolicyNoAccessError, WrongCapError, WrongVersionError } from '../../../ts/policies/errors.js';
import { MoveAbortError, TransactionFailedError } from '../../../ts/chain/errors.js';
import { policyAbortClassifier } from '../../../ts/policies/errors.js';
import type { SuiClient } from '../../../ts/chain/sui-client.js';
import {
	createdObjects,
	decodeCleverErrorCode,
	errorFromExecutionError,
	errorFromMoveAbort,
	executeTransaction,
	findCreatedObject,
	type ExecutedTransaction,
} from '../../../ts/chain/transactions.js';
import { effectsFixture as effectsWith } from '../../support/effects.js';

/** Our package's classifier, matching by module and constant/code in any package. */
const classifyAbort = policyAbortClassifier();

const PKG = `0x${'ab'.repeat(32)}`;

/** A Move abort as the gRPC client reports it (constant name present). */
function grpcAbort(module: string, constantName: string, fn = 'add'): SuiClientTypes.MoveAbort {
	return {
		abortCode: '13835902939466645505',
		location: { package: PKG, module, functionName: fn, instruction: 12 },
		cleverError: { constantName, lineNumber: 120, constantType: 'vector<u8>', value: 'msg' },
	};
}

/** A Move abort as JSON-RPC reports it: only the u64 code and the location. */
function jsonRpcAbort(module: string, abortCode: bigint): SuiClientTypes.MoveAbort {
	return {
		abortCode: abortCode.toString(),
		location: { package: PKG, module, functionName: 'remove' },
	};
}

/** `#[error(code = N)]` clever code: version 0b1100, code, line, identifier, constant index. */
function cleverCode(code: number, line = 120): bigint {
	return (0xcn << 60n) | (BigInt(code) << 48n) | (BigInt(line) << 32n) | (5n << 16n) | 2n;
}

describe('decodeCleverErrorCode', () => {
	it('reads the 8-bit code of a #[error(code = N)] abort code', () => {
		expect(decodeCleverErrorCode('0xc003007800050002')).toBe(3);
		expect(decodeCleverErrorCode(BigInt('0xc006000a00010000').toString())).toBe(6);
	});

	it('returns undefined for plain codes, codeless clever codes, the sentinel and junk', () => {
		expect(decodeCleverErrorCode('3')).toBeUndefined();
		expect(decodeCleverErrorCode(BigInt('0x8000000700010000').toString())).toBeUndefined();
		expect(decodeCleverErrorCode(BigInt('0xc0ff007800050002').toString())).toBeUndefined();
		expect(decodeCleverErrorCode('not a number')).toBeUndefined();
		expect(decodeCleverErrorCode((1n << 64n).toString())).toBeUndefined();
	});
});

describe('errorFromMoveAbort (gRPC: by module + constant name)', () => {
	it.each([
		['allowlist', 'ENotMember', NotMemberError],
		['allowlist', 'EDuplicateMember', DuplicateMemberError],
		['allowlist', 'EWrongCap', WrongCapError],
		['allowlist', 'EWrongVersion', WrongVersionError],
		['allowlist', 'ENoAccess', PolicyNoAccessError],
		['allowlist', 'EAlreadyMigrated', AlreadyMigratedError],
		['owner', 'ENoAccess', PolicyNoAccessError],
	] as const)('%s::%s → %s', (module, constant, errorClass) => {
		const error = errorFromMoveAbort(grpcAbort(module, constant), {
			digest: 'DIG',
			command: 0,
			classifyAbort,
		});
		expect(error).toBeInstanceOf(errorClass);
		expect(error).toBeInstanceOf(MoveAbortError);
		expect(error).toBeInstanceOf(TransactionFailedError);
		expect(error.name).toBe(errorClass.name);
		expect(error).toMatchObject({
			module,
			constantName: constant,
			functionName: 'add',
			packageId: PKG,
			digest: 'DIG',
			kind: 'MoveAbort',
			command: 0,
		});
		expect(error.message).toContain(constant);
		expect(error.message).toContain('DIG');
	});

	it('keeps unknown constants and modules as a MoveAbortError with module, function and code', () => {
		const error = errorFromMoveAbort(
			{
				abortCode: '1',
				location: { package: '0x2', module: 'dynamic_field', functionName: 'add' },
				cleverError: { constantName: 'EFieldAlreadyExists' },
			},
			{ digest: undefined, classifyAbort },
		);
		expect(error.constructor).toBe(MoveAbortError);
		expect(error).toMatchObject({
			module: 'dynamic_field',
			functionName: 'add',
			abortCode: '1',
			constantName: 'EFieldAlreadyExists',
			packageId: `0x${'0'.repeat(63)}2`,
			digest: undefined,
		});
		expect(error.message).toMatch(/EFieldAlreadyExists in 0x0+2::dynamic_field::add/);
		expect(error.message).toContain('nothing was executed');
	});

	it('does not map a known constant name raised by another module', () => {
		const error = errorFromMoveAbort(grpcAbort('registry', 'ENotMember'), {
			digest: 'D',
			classifyAbort,
		});
		expect(error.constructor).toBe(MoveAbortError);
	});

	it('trusts the constant name over a code that would map elsewhere', () => {
		const abort = { ...grpcAbort('allowlist', 'EWrongCap'), abortCode: cleverCode(3).toString() };
		expect(errorFromMoveAbort(abort, { digest: 'D', classifyAbort })).toBeInstanceOf(WrongCapError);
	});
});

describe('errorFromMoveAbort (JSON-RPC: by module + #[error(code = N)])', () => {
	it.each([
		[1, WrongCapError, 'EWrongCap'],
		[2, DuplicateMemberError, 'EDuplicateMember'],
		[3, NotMemberError, 'ENotMember'],
		[4, PolicyNoAccessError, 'ENoAccess'],
		[5, WrongVersionError, 'EWrongVersion'],
		[6, AlreadyMigratedError, 'EAlreadyMigrated'],
	] as const)('allowlist code %i → %s', (code, errorClass, constant) => {
		const error = errorFromMoveAbort(jsonRpcAbort('allowlist', cleverCode(code)), {
			digest: 'D',
			classifyAbort,
		});
		expect(error).toBeInstanceOf(errorClass);
		expect(error.constantName).toBe(constant);
		expect(error.errorCode).toBe(code);
	});

	it('maps owner code 1 to PolicyNoAccessError, and leaves large plain u64 codes unmapped', () => {
		expect(
			errorFromMoveAbort(jsonRpcAbort('owner', cleverCode(1)), { digest: 'D', classifyAbort }),
		).toBeInstanceOf(PolicyNoAccessError);
		const plain = errorFromMoveAbort(jsonRpcAbort('allowlist', 1003n), {
			digest: 'D',
			classifyAbort,
		});
		expect(plain.constructor).toBe(MoveAbortError);
		expect(plain.message).toContain('abort code 1003');
	});

	it('reads an already-decoded small code (what a JSON-RPC full node reports) as N', () => {
		const error = errorFromMoveAbort(jsonRpcAbort('allowlist', 3n), { digest: 'D', classifyAbort });
		expect(error).toBeInstanceOf(NotMemberError);
		expect(error.errorCode).toBe(3);
	});

	it('with policyPackageIds, maps only aborts located in one of those packages', () => {
		const ours = { digest: 'D', classifyAbort: policyAbortClassifier([PKG]) };
		expect(errorFromMoveAbort(jsonRpcAbort('allowlist', 3n), ours)).toBeInstanceOf(NotMemberError);
		const foreign = errorFromMoveAbort(jsonRpcAbort('allowlist', 3n), {
			digest: 'D',
			classifyAbort: policyAbortClassifier([`0x${'cd'.repeat(32)}`]),
		});
		expect(foreign.constructor).toBe(MoveAbortError);
	});

	it('without a classifier, maps nothing: the executor knows no package of its own', () => {
		const error = errorFromMoveAbort(grpcAbort('allowlist', 'ENotMember'), { digest: 'D' });
		expect(error.constructor).toBe(MoveAbortError);
		expect(error.constantName).toBe('ENotMember');
	});
});

describe('errorFromExecutionError', () => {
	it('maps a MoveAbort execution error through the abort mapper with its command index', () => {
		const error = errorFromExecutionError(
			{
				$kind: 'MoveAbort',
				message: 'MoveAbort…',
				command: 1,
				MoveAbort: grpcAbort('allowlist', 'ENotMember'),
			},
			'DIG',
			'transaction',
			classifyAbort,
		);
		expect(error).toBeInstanceOf(NotMemberError);
		expect(error.command).toBe(1);
	});

	it('reports other failures as TransactionFailedError with their kind', () => {
		const error = errorFromExecutionError(
			{
				$kind: 'SizeError',
				message: 'too big',
				SizeError: { name: 'ObjectTooBig', size: 9, maxSize: 8 },
			},
			'DIG',
			'publish',
		);
		expect(error.constructor).toBe(TransactionFailedError);
		expect(error).toMatchObject({ kind: 'SizeError', digest: 'DIG' });
		expect(error.message).toBe('publish failed: SizeError: too big (tx DIG)');
	});
});

describe('createdObjects / findCreatedObject', () => {
	const A = `0x${'0a'.repeat(32)}`;
	const C = `0x${'0c'.repeat(32)}`;
	const GAS = `0x${'09'.repeat(32)}`;
	const executed: ExecutedTransaction = {
		digest: 'DIG',
		effects: effectsWith([
			{ objectId: A },
			{ objectId: C },
			{ objectId: GAS, idOperation: 'None', inputState: 'Exists' },
		]),
		objectTypes: {
			[A]: `${PKG}::allowlist::Allowlist`,
			[C]: `${PKG}::allowlist::AllowlistCap`,
			[GAS]: '0x2::coin::Coin<0x2::sui::SUI>',
		},
		events: [],
	};

	it('lists only created objects, with their types', () => {
		expect(createdObjects(executed).map((o) => o.objectId)).toEqual([A, C]);
	});

	it('finds a created object by module and name (any defining package unless given)', () => {
		expect(findCreatedObject(executed, { module: 'allowlist', name: 'Allowlist' })).toBe(A);
		expect(
			findCreatedObject(executed, { module: 'allowlist', name: 'AllowlistCap', address: PKG }),
		).toBe(C);
	});

	it('fails with the digest when the object is missing (or of another package)', () => {
		expect(() => findCreatedObject(executed, { module: 'package', name: 'UpgradeCap' })).toThrow(
			/tx DIG created 0 objects of type package::UpgradeCap/,
		);
		expect(() =>
			findCreatedObject(executed, { module: 'allowlist', name: 'Allowlist', address: '0x2' }),
		).toThrow(TransactionFailedError);
	});
});

describe('executeTransaction (transport stubbed at the SDK core interface)', () => {
	const signer = Ed25519Keypair.generate();

	/** A transaction that needs no resolution: sender, gas price, budget and coin are set. */
	function resolvedTransaction(): Transaction {
		const tx = new Transaction();
		tx.moveCall({ target: `${PKG}::allowlist::create_and_keep`, arguments: [tx.pure.string('x')] });
		tx.setSender(signer.toSuiAddress());
		tx.setGasPrice(1000);
		tx.setGasBudget(10_000_000);
		tx.setGasPayment([
			{
				objectId: `0x${'09'.repeat(32)}`,
				version: '3',
				digest: 'FKxvBPD1USPz5ri4zCx7Gcz7JrVSLhxnimwuhgMpRHKV',
			},
		]);
		return tx;
	}

	function transactionRecord(status: SuiClientTypes.ExecutionStatus) {
		return {
			digest: 'DIG',
			signatures: [],
			epoch: '1',
			timestampMs: null,
			checkpoint: null,
			status,
			balanceChanges: undefined,
			effects: effectsWith([{ objectId: `0x${'0a'.repeat(32)}` }]),
			events: [],
			objectTypes: { [`0x${'0a'.repeat(32)}`]: `${PKG}::allowlist::Allowlist` },
			transaction: undefined,
			bcs: undefined,
		};
	}

	it('signs the built bytes, executes, waits, and returns effects', async () => {
		const executeTx = vi.fn(async (input: { transaction: Uint8Array; signatures: string[] }) => {
			expect(input.signatures).toHaveLength(1);
			const ok = await signer
				.getPublicKey()
				.verifyTransaction(input.transaction, input.signatures[0] ?? '');
			expect(ok).toBe(true);
			return {
				$kind: 'Transaction',
				Transaction: transactionRecord({ success: true, error: null }),
			};
		});
		const waitForTransaction = vi.fn(async () => ({}));
		const client = {
			core: { executeTransaction: executeTx, waitForTransaction },
		} as unknown as SuiClient;
		const executed = await executeTransaction({
			client,
			signer,
			transaction: resolvedTransaction(),
		});
		expect(executed.digest).toBe('DIG');
		expect(findCreatedObject(executed, { module: 'allowlist', name: 'Allowlist' })).toBe(
			`0x${'0a'.repeat(32)}`,
		);
		expect(executeTx).toHaveBeenCalledOnce();
		expect(waitForTransaction).toHaveBeenCalledOnce();
	});

	it('turns a failed execution into the typed abort error carrying the digest', async () => {
		const failed = transactionRecord({
			success: false,
			error: {
				$kind: 'MoveAbort',
				message: 'm',
				command: 0,
				MoveAbort: grpcAbort('allowlist', 'EDuplicateMember'),
			},
		});
		const waitForTransaction = vi.fn();
		const client = {
			core: {
				executeTransaction: async () => ({ $kind: 'FailedTransaction', FailedTransaction: failed }),
				waitForTransaction,
			},
		} as unknown as SuiClient;
		const error = await executeTransaction({
			client,
			signer,
			transaction: resolvedTransaction(),
			classifyAbort,
		}).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(DuplicateMemberError);
		expect((error as DuplicateMemberError).digest).toBe('DIG');
		expect(waitForTransaction).not.toHaveBeenCalled();
	});

	it('turns an abort found while resolving (simulation) into the typed error, without a digest', async () => {
		const executeTx = vi.fn();
		const client = {
			core: {
				resolveTransactionPlugin: () => async () => {
					throw new SimulationError('Transaction resolution failed', {
						executionError: {
							$kind: 'MoveAbort',
							message: 'm',
							command: 0,
							MoveAbort: grpcAbort('allowlist', 'ENotMember', 'remove'),
						},
					});
				},
				executeTransaction: executeTx,
			},
		} as unknown as SuiClient;
		const tx = new Transaction();
		// An id without version: the client must resolve it, which runs the simulation.
		tx.moveCall({
			target: `${PKG}::allowlist::remove`,
			arguments: [tx.object(`0x${'cd'.repeat(32)}`)],
		});
		const error = await executeTransaction({
			client,
			signer,
			transaction: tx,
			classifyAbort,
		}).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(NotMemberError);
		expect(error).toMatchObject({ digest: undefined, functionName: 'remove' });
		expect(executeTx).not.toHaveBeenCalled();
	});

	it('reports a node that rejects the submission as TransactionFailedError(Rejected)', async () => {
		const client = {
			core: {
				executeTransaction: async () => {
					throw new Error('Transaction validator signing failed');
				},
			},
		} as unknown as SuiClient;
		const error = await executeTransaction({
			client,
			signer,
			transaction: resolvedTransaction(),
		}).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(TransactionFailedError);
		expect(error).toMatchObject({ kind: 'Rejected', digest: undefined });
		expect((error as Error).message).toContain('validator signing failed');
	});
});
