import { describe, expect, it } from 'vitest';
import { ALLOW, FixedEvaluator, type PolicyRequest } from '../../../ts/keyserver/evaluator.js';

const A = 'aa'.repeat(8);
const B = 'bb'.repeat(8);
const ALICE = `0x${'a1'.repeat(32)}`;
const BOB = `0x${'b0'.repeat(32)}`;

/** A request for `ids` (hex inner ids, one command each) made by `sender`. */
function request(sender: string, ...ids: string[]): PolicyRequest {
	return {
		ptb: new Uint8Array(),
		sender,
		originalPackageId: `0x${'cc'.repeat(32)}`,
		validPtb: {
			packageId: `0x${'cc'.repeat(32)}`,
			innerIds: ids.map((id) => Buffer.from(id, 'hex')),
			functions: ids.map((_, i) => `policy::seal_approve_${i}`),
			ptb: { inputs: [], commands: [] },
		},
	};
}

describe('FixedEvaluator (offline stand-in for the Move policy)', () => {
	it('denies everything until a rule allows it, naming the command and id', async () => {
		const policy = new FixedEvaluator();
		expect(await policy.evaluate(request(ALICE, A))).toEqual({
			allowed: false,
			error: 'NoAccess',
			detail: `command 0 (policy::seal_approve_0) denied for id 0x${A}`,
		});
		policy.allow(A);
		expect(await policy.evaluate(request(ALICE, A))).toBe(ALLOW);
		expect(ALLOW).toEqual({ allowed: true });
	});

	it('an address rule applies to that user only; ids and addresses match in any case, with or without 0x', async () => {
		const policy = new FixedEvaluator().allow(
			`0x${A.toUpperCase()}`,
			ALICE.toUpperCase().replace('0X', '0x'),
		);
		expect(await policy.evaluate(request(ALICE, A))).toEqual(ALLOW);
		expect(await policy.evaluate(request(BOB, A))).toMatchObject({
			allowed: false,
			error: 'NoAccess',
		});
	});

	it('deny wins over allow, for everyone or for one user', async () => {
		const policy = new FixedEvaluator().allow(A).deny(A, BOB);
		expect(await policy.evaluate(request(ALICE, A))).toEqual(ALLOW);
		expect(await policy.evaluate(request(BOB, A))).toMatchObject({ allowed: false });
		policy.allow(A, ALICE).deny(A);
		expect(await policy.evaluate(request(ALICE, A))).toMatchObject({ allowed: false });
	});

	it('one denied command denies the whole request, reported with its index', async () => {
		const policy = new FixedEvaluator().allow(A);
		expect(await policy.evaluate(request(ALICE, A, A))).toEqual(ALLOW);
		expect(await policy.evaluate(request(ALICE, A, B))).toEqual({
			allowed: false,
			error: 'NoAccess',
			detail: `command 1 (policy::seal_approve_1) denied for id 0x${B}`,
		});
	});

	it('a command without a recorded function name is reported as ?', async () => {
		const req = request(ALICE, B);
		req.validPtb.functions = [];
		expect(await new FixedEvaluator().evaluate(req)).toMatchObject({
			detail: `command 0 (?) denied for id 0x${B}`,
		});
	});

	it('reset() drops allow and deny rules', async () => {
		const policy = new FixedEvaluator().allow(A).deny(B);
		policy.reset();
		expect(await policy.evaluate(request(ALICE, A))).toMatchObject({ allowed: false });
		policy.allow(B);
		expect(await policy.evaluate(request(ALICE, B))).toEqual(ALLOW);
	});
});
