import { bcs } from '@mysten/sui/bcs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../ts/errors.js';
import { InvalidPtbError } from '../../../ts/keyserver/errors.js';
import { allowlistInnerId, ownerInnerId, randomNonce, toHex } from '../../../ts/identity.js';
import { validatePtb } from '../../../ts/keyserver/valid-ptb.js';
import {
	MAX_APPROVE_COMMANDS,
	allowlistIdOfInnerId,
	buildApproveTxBytes,
	type ApproveTarget,
} from '../../../ts/seal/approve.js';

const PKG = `0x${'ab'.repeat(32)}`;
const LIST_A = `0x${'11'.repeat(32)}`;
const LIST_B = `0x${'22'.repeat(32)}`;
const OWNER = `0x${'33'.repeat(32)}`;

function allowlistTarget(allowlistId: string, nonce = randomNonce()): ApproveTarget {
	return {
		policy: 'allowlist',
		innerId: allowlistInnerId(allowlistId, nonce),
		allowlistId,
		initialSharedVersion: 7,
	};
}

/** Kind bytes → what the key server receives (the SDK drops the kind tag) → its checks. */
async function buildAndValidate(targets: ApproveTarget[]) {
	const txBytes = await buildApproveTxBytes({ packageId: PKG, targets });
	expect(txBytes[0]).toBe(0); // TransactionKind::ProgrammableTransaction
	return validatePtb(txBytes.slice(1));
}

describe('approve PTB builders', () => {
	it('builds an allowlist approval the key server accepts, inner id first', async () => {
		const target = allowlistTarget(LIST_A);
		const valid = await buildAndValidate([target]);
		expect(valid.packageId).toBe(PKG);
		expect(valid.functions).toEqual(['allowlist::seal_approve']);
		expect(toHex(valid.innerIds[0] ?? new Uint8Array())).toBe(toHex(target.innerId));
		const call = valid.ptb.commands[0]?.MoveCall;
		expect(call?.arguments).toHaveLength(2);
		const objectArg = call?.arguments[1];
		const input = objectArg?.$kind === 'Input' ? valid.ptb.inputs[objectArg.Input] : undefined;
		expect(input?.Object?.SharedObject?.objectId).toBe(LIST_A);
		expect(input?.Object?.SharedObject?.mutable).toBe(false);
	});

	it('builds an owner approval with the inner id as its only argument', async () => {
		const innerId = ownerInnerId(OWNER, randomNonce(5));
		const valid = await buildAndValidate([{ policy: 'owner', innerId }]);
		expect(valid.functions).toEqual(['owner::seal_approve']);
		expect(valid.ptb.commands[0]?.MoveCall?.arguments).toHaveLength(1);
		expect(toHex(valid.innerIds[0] ?? new Uint8Array())).toBe(toHex(innerId));
	});

	it('puts 100 mixed identities in one valid PTB and shares one input per allowlist', async () => {
		const targets: ApproveTarget[] = [];
		for (let i = 0; i < MAX_APPROVE_COMMANDS; i++) {
			targets.push(
				i % 3 === 0
					? { policy: 'owner', innerId: ownerInnerId(OWNER, randomNonce()) }
					: allowlistTarget(i % 3 === 1 ? LIST_A : LIST_B),
			);
		}
		const valid = await buildAndValidate(targets);
		expect(valid.innerIds.map(toHex)).toEqual(targets.map((t) => toHex(t.innerId)));
		const objects = valid.ptb.inputs.filter((input) => input.$kind === 'Object');
		expect(objects).toHaveLength(2);
	});

	it('encodes the inner id as a BCS vector<u8> (not a bare address)', async () => {
		const innerId = allowlistInnerId(LIST_A); // bare namespace: exactly 32 bytes
		const valid = await buildAndValidate([{ ...allowlistTarget(LIST_A), innerId }]);
		const pure = valid.ptb.inputs.find((input) => input.$kind === 'Pure');
		const raw = Buffer.from(pure?.Pure?.bytes ?? '', 'base64');
		expect(raw[0]).toBe(32); // ULEB128 length prefix
		expect(bcs.vector(bcs.u8()).parse(raw)).toEqual(Array.from(innerId));
	});

	it('rejects an empty target list and more than 100 targets before building', async () => {
		await expect(buildApproveTxBytes({ packageId: PKG, targets: [] })).rejects.toThrow(
			InvalidInputError,
		);
		const many = Array.from({ length: MAX_APPROVE_COMMANDS + 1 }, () => allowlistTarget(LIST_A));
		await expect(buildApproveTxBytes({ packageId: PKG, targets: many })).rejects.toThrow(
			/limit of 100/,
		);
	});

	it('rejects a non-normalised package id', async () => {
		await expect(
			buildApproveTxBytes({ packageId: '0x2', targets: [allowlistTarget(LIST_A)] }),
		).rejects.toThrow(InvalidInputError);
	});

	it('the key-server check rejects full TransactionData-like bytes (why onlyTransactionKind)', async () => {
		const txBytes = await buildApproveTxBytes({
			packageId: PKG,
			targets: [allowlistTarget(LIST_A)],
		});
		expect(() => validatePtb(txBytes)).toThrow(InvalidPtbError);
	});

	it('reads the allowlist id back from an inner id', () => {
		expect(allowlistIdOfInnerId(allowlistInnerId(LIST_B, randomNonce(3)))).toBe(LIST_B);
		expect(() => allowlistIdOfInnerId(new Uint8Array(31))).toThrow(InvalidInputError);
	});
});
