import { bcs } from '@mysten/sui/bcs';
import { Inputs, Transaction } from '@mysten/sui/transactions';
import { describe, expect, it } from 'vitest';
import { executionFailure, withStalenessCheck } from '../../ts/keyserver/node-evaluator.js';
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
