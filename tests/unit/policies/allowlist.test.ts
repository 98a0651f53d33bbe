import { bcs } from '@mysten/sui/bcs';
import { Inputs, Transaction } from '@mysten/sui/transactions';
import { fromBase64 } from '@mysten/sui/utils';
import { describe, expect, it } from 'vitest';

import { InvalidInputError } from '../../../ts/errors.js';
import {
	addMemberTx,
	AllowlistBcs,
	createAllowlistTx,
	createAndKeepAllowlistTx,
	migrateTx,
	parseAllowlistEvent,
	removeMemberTx,
} from '../../../ts/policies/allowlist.js';

const PKG = `0x${'ab'.repeat(32)}`;
const OWNER = `0x${'11'.repeat(32)}`;
const MEMBER = `0x${'22'.repeat(32)}`;
const ALLOWLIST_ID = `0x${'cd'.repeat(32)}`;
const CAP_ID = `0x${'ef'.repeat(32)}`;
// Fully-resolved references: the transaction builds offline, no client involved.
const allowlistRef = () =>
	Inputs.SharedObjectRef({ objectId: ALLOWLIST_ID, mutable: true, initialSharedVersion: 5 });
const capRef = () =>
	Inputs.ObjectRef({
		objectId: CAP_ID,
		version: '7',
		digest: 'FKxvBPD1USPz5ri4zCx7Gcz7JrVSLhxnimwuhgMpRHKV',
	});

async function decode(tx: Transaction) {
	const kind = bcs.TransactionKind.parse(await tx.build({ onlyTransactionKind: true }));
	if (!kind.ProgrammableTransaction) throw new Error('expected a programmable transaction');
	return kind.ProgrammableTransaction;
}

function pureBytes(input: unknown): Uint8Array {
	const pure = (input as { Pure?: { bytes: string } }).Pure;
	if (!pure) throw new Error(`expected a Pure input, got ${JSON.stringify(input)}`);
	return fromBase64(pure.bytes);
}

describe('createAllowlistTx', () => {
	it('calls allowlist::new, shares the list and sends the cap to the owner', async () => {
		const ptb = await decode(createAllowlistTx({ packageId: PKG, name: 'team α', owner: OWNER }));
		expect(ptb.commands).toHaveLength(3);
		const [create, share, transfer] = ptb.commands;
		expect(create?.MoveCall).toMatchObject({ package: PKG, module: 'allowlist', function: 'new' });
		expect(create?.MoveCall?.typeArguments).toEqual([]);
		const nameArg = create?.MoveCall?.arguments[0];
		expect(nameArg?.$kind).toBe('Input');
		expect(bcs.string().parse(pureBytes(ptb.inputs[nameArg?.Input ?? -1]))).toBe('team α');
		// `new` returns (Allowlist, AllowlistCap): the list is result 0.0, the cap 0.1.
		expect(share?.MoveCall).toMatchObject({ module: 'allowlist', function: 'share' });
		expect(share?.MoveCall?.arguments).toEqual([{ $kind: 'NestedResult', NestedResult: [0, 0] }]);
		expect(transfer?.TransferObjects?.objects).toEqual([
			{ $kind: 'NestedResult', NestedResult: [0, 1] },
		]);
		const to = transfer?.TransferObjects?.address;
		expect(bcs.Address.parse(pureBytes(ptb.inputs[to?.Input ?? -1]))).toBe(OWNER);
	});

	it('adds initial members to the unshared list before sharing it', async () => {
		const ptb = await decode(
			createAllowlistTx({ packageId: PKG, name: 'team', owner: OWNER, members: [MEMBER, OWNER] }),
		);
		const calls = ptb.commands.map((c) => c.MoveCall?.function ?? c.$kind);
		expect(calls).toEqual(['new', 'add', 'add', 'share', 'TransferObjects']);
		for (const [i, member] of [MEMBER, OWNER].entries()) {
			const args = ptb.commands[1 + i]?.MoveCall?.arguments ?? [];
			expect(args.slice(0, 2)).toEqual([
				{ $kind: 'NestedResult', NestedResult: [0, 0] },
				{ $kind: 'NestedResult', NestedResult: [0, 1] },
			]);
			expect(bcs.Address.parse(pureBytes(ptb.inputs[args[2]?.Input ?? -1]))).toBe(member);
		}
	});

	it('rejects a malformed initial member before building, naming its index', () => {
		expect(() =>
			createAllowlistTx({ packageId: PKG, name: 'ok', owner: OWNER, members: [MEMBER, '0x2'] }),
		).toThrow(/members\[1\]/);
	});

	it('rejects an empty name and a malformed owner before building', () => {
		expect(() => createAllowlistTx({ packageId: PKG, name: '', owner: OWNER })).toThrow(
			InvalidInputError,
		);
		expect(() =>
			createAllowlistTx({ packageId: PKG, name: 'x'.repeat(257), owner: OWNER }),
		).toThrow(/1 to 256 bytes/);
		expect(() => createAllowlistTx({ packageId: PKG, name: 'ok', owner: '0x2' })).toThrow(
			/owner: expected 0x followed by exactly 64 hex digits/,
		);
		expect(() => createAllowlistTx({ packageId: 'abc', name: 'ok', owner: OWNER })).toThrow(
			/packageId/,
		);
	});
});

describe('createAndKeepAllowlistTx', () => {
	it('calls the create_and_keep entry with the name only', async () => {
		const ptb = await decode(createAndKeepAllowlistTx({ packageId: PKG, name: 'mine' }));
		expect(ptb.commands).toHaveLength(1);
		const call = ptb.commands[0]?.MoveCall;
		expect(call).toMatchObject({ package: PKG, module: 'allowlist', function: 'create_and_keep' });
		expect(bcs.string().parse(pureBytes(ptb.inputs[call?.arguments[0]?.Input ?? -1]))).toBe('mine');
	});
});

describe.each([
	['add', addMemberTx],
	['remove', removeMemberTx],
] as const)('%s member builder', (fn, build) => {
	it(`calls allowlist::${fn}(allowlist, cap, member) with object and pure inputs`, async () => {
		const ptb = await decode(
			build({ packageId: PKG, allowlist: allowlistRef(), cap: capRef(), member: MEMBER }),
		);
		expect(ptb.commands).toHaveLength(1);
		const call = ptb.commands[0]?.MoveCall;
		expect(call).toMatchObject({ package: PKG, module: 'allowlist', function: fn });
		const [a, c, m] = (call?.arguments ?? []).map((arg) => ptb.inputs[arg.Input ?? -1]);
		expect(a?.Object?.SharedObject).toEqual({
			objectId: ALLOWLIST_ID,
			initialSharedVersion: '5',
			mutable: true,
		});
		expect(c?.Object?.ImmOrOwnedObject?.objectId).toBe(CAP_ID);
		expect(bcs.Address.parse(pureBytes(m))).toBe(MEMBER);
	});

	it('appends to a given transaction instead of starting a new one', async () => {
		const tx = new Transaction();
		addMemberTx({ packageId: PKG, allowlist: allowlistRef(), cap: capRef(), member: OWNER, tx });
		const same = build({
			packageId: PKG,
			allowlist: allowlistRef(),
			cap: capRef(),
			member: MEMBER,
			tx,
		});
		expect(same).toBe(tx);
		const ptb = await decode(tx);
		expect(ptb.commands.map((c) => c.MoveCall?.function)).toEqual(['add', fn]);
	});

	it('rejects a member that is not a full address', () => {
		expect(() =>
			build({ packageId: PKG, allowlist: allowlistRef(), cap: capRef(), member: '0x22' }),
		).toThrow(/member: expected 0x followed by exactly 64 hex digits/);
	});
});

describe('migrateTx', () => {
	it('calls allowlist::migrate(allowlist, cap)', async () => {
		const ptb = await decode(
			migrateTx({ packageId: PKG, allowlist: allowlistRef(), cap: capRef() }),
		);
		const call = ptb.commands[0]?.MoveCall;
		expect(call).toMatchObject({ package: PKG, module: 'allowlist', function: 'migrate' });
		expect(call?.arguments).toHaveLength(2);
		expect(ptb.inputs.map((input) => input.$kind)).toEqual(['Object', 'Object']);
	});
});

describe('AllowlistBcs', () => {
	it('parses the Move layout of Allowlist (id, version, name, members table, count)', () => {
		const tableId = `0x${'77'.repeat(32)}`;
		const bytes = AllowlistBcs.serialize({
			id: ALLOWLIST_ID,
			version: 3n,
			name: 'ops',
			members: { id: tableId, size: 2n },
			member_count: 2n,
		}).toBytes();
		// 32 (id) + 8 (version) + 1+3 (name) + 32+8 (table) + 8 (count)
		expect(bytes).toHaveLength(92);
		const parsed = AllowlistBcs.parse(bytes);
		expect(parsed).toEqual({
			id: ALLOWLIST_ID,
			version: '3',
			name: 'ops',
			members: { id: tableId, size: '2' },
			member_count: '2',
		});
	});
});

describe('parseAllowlistEvent', () => {
	const base = {
		packageId: PKG,
		module: 'allowlist',
		sender: OWNER,
		json: null,
		transactionDigest: 'D1',
		checkpoint: '9',
	};
	const changed = (allowlist: string) =>
		bcs
			.struct('E', { a: bcs.Address, m: bcs.Address, b: bcs.Address })
			.serialize({ a: allowlist, m: MEMBER, b: OWNER })
			.toBytes();

	it('decodes MemberAdded / MemberRemoved for this allowlist', () => {
		for (const kind of ['MemberAdded', 'MemberRemoved'] as const) {
			const event = parseAllowlistEvent(
				{ ...base, eventType: `${PKG}::allowlist::${kind}`, bcs: changed(ALLOWLIST_ID) },
				ALLOWLIST_ID,
			);
			expect(event).toEqual({ kind, member: MEMBER, actor: OWNER, digest: 'D1', checkpoint: '9' });
		}
	});

	it('decodes AllowlistCreated', () => {
		const bytes = bcs
			.struct('C', { a: bcs.Address, n: bcs.string(), c: bcs.Address })
			.serialize({ a: ALLOWLIST_ID, n: 'team', c: OWNER })
			.toBytes();
		expect(
			parseAllowlistEvent(
				{ ...base, eventType: `${PKG}::allowlist::AllowlistCreated`, bcs: bytes },
				ALLOWLIST_ID,
			),
		).toEqual({
			kind: 'AllowlistCreated',
			name: 'team',
			creator: OWNER,
			digest: 'D1',
			checkpoint: '9',
		});
	});

	it("ignores other allowlists' events and unrelated event types", () => {
		const other = `0x${'99'.repeat(32)}`;
		expect(
			parseAllowlistEvent(
				{ ...base, eventType: `${PKG}::allowlist::MemberAdded`, bcs: changed(other) },
				ALLOWLIST_ID,
			),
		).toBeUndefined();
		expect(
			parseAllowlistEvent(
				{ ...base, eventType: `${PKG}::allowlist::Other`, bcs: changed(ALLOWLIST_ID) },
				ALLOWLIST_ID,
			),
		).toBeUndefined();
	});
});
