import { readFileSync } from 'node:fs';

import { bcs } from '@mysten/sui/bcs';
import type { SuiClientTypes } from '@mysten/sui/client';
import { describe, expect, it, vi } from 'vitest';

import { ObjectReadError } from '../../../ts/chain/errors.js';
import { AllowlistBcs, readAllowlist } from '../../../ts/policies/allowlist.js';
import { findPolicyAbort, POLICY_ABORTS } from '../../../ts/policies/errors.js';
import type { SuiClient } from '../../../ts/chain/sui-client.js';

/** `#[error(code = N)] const EName` pairs declared in a Move source file. */
function moveErrors(file: string): Map<string, number> {
	const source = readFileSync(file, 'utf8');
	const found = new Map<string, number>();
	for (const match of source.matchAll(/#\[error\(code = (\d+)\)\]\s*const (E\w+)/g)) {
		found.set(match[2] ?? '', Number(match[1]));
	}
	return found;
}

describe('POLICY_ABORTS', () => {
	it.each(['allowlist', 'owner'] as const)(
		'matches every #[error(code = N)] constant in move/sources/%s.move',
		(module) => {
			const declared = moveErrors(`move/sources/${module}.move`);
			expect(declared.size).toBeGreaterThan(0);
			const mapped = new Map(
				POLICY_ABORTS.filter((a) => a.module === module).map((a) => [a.constantName, a.code]),
			);
			expect(mapped).toEqual(declared);
		},
	);

	it('looks up by constant name first, by code only when the name is absent', () => {
		expect(findPolicyAbort('allowlist', 'ENotMember', undefined)?.code).toBe(3);
		expect(findPolicyAbort('allowlist', undefined, 3)?.constantName).toBe('ENotMember');
		expect(findPolicyAbort('allowlist', 'EUnknown', 3)).toBeUndefined();
		expect(findPolicyAbort(undefined, 'ENotMember', 3)).toBeUndefined();
		expect(findPolicyAbort('owner', undefined, 1)?.constantName).toBe('ENoAccess');
		expect(findPolicyAbort('owner', undefined, 2)).toBeUndefined();
	});
});

describe('readAllowlist (transport stubbed at the SDK core interface)', () => {
	const PKG = `0x${'ab'.repeat(32)}`;
	const ID = `0x${'cd'.repeat(32)}`;
	const TABLE = `0x${'77'.repeat(32)}`;
	const members = Array.from(
		{ length: 3 },
		(_, i) =>
			`0x${String(i + 1)
				.padStart(2, '0')
				.repeat(32)}`,
	);
	const content = AllowlistBcs.serialize({
		id: ID,
		version: 1n,
		name: 'team',
		members: { id: TABLE, size: 3n },
		member_count: 3n,
	}).toBytes();
	const memberEvent = (allowlist: string, member: string, kind: string, digest: string) => ({
		packageId: PKG,
		module: 'allowlist',
		sender: members[0]!,
		eventType: `${PKG}::allowlist::${kind}`,
		bcs: bcs
			.struct('E', { a: bcs.Address, m: bcs.Address, b: bcs.Address })
			.serialize({ a: allowlist, m: member, b: members[0]! })
			.toBytes(),
		json: null,
		checkpoint: '5',
		transactionDigest: digest,
		eventIndex: 0,
	});

	function stub(
		listEvents: (options: SuiClientTypes.ListEventsOptions) => Promise<unknown>,
		type = `${PKG}::allowlist::Allowlist`,
	) {
		const field = (address: string) => ({
			$kind: 'DynamicField',
			fieldId: `0x${'ee'.repeat(32)}`,
			type: '0x2::dynamic_field::Field<address,bool>',
			name: { type: 'address', bcs: bcs.Address.serialize(address).toBytes() },
			valueType: 'bool',
		});
		const listDynamicFields = vi.fn(
			async ({ parentId, cursor }: SuiClientTypes.ListDynamicFieldsOptions) => {
				expect(parentId).toBe(TABLE);
				return cursor === null || cursor === undefined
					? {
							dynamicFields: [field(members[2]!), field(members[0]!)],
							hasNextPage: true,
							cursor: 'page2',
						}
					: { dynamicFields: [field(members[1]!)], hasNextPage: false, cursor: null };
			},
		);
		const core = {
			getObject: vi.fn(async () => ({ object: { objectId: ID, type, content } })),
			listDynamicFields,
			listEvents: vi.fn(listEvents),
		};
		return { client: { core } as unknown as SuiClient, core };
	}

	it('reads fields, every member across pages, and only this allowlist’s events', async () => {
		const other = `0x${'99'.repeat(32)}`;
		const { client, core } = stub(async (options) => {
			expect(options.filter).toEqual({ eventType: `${PKG}::allowlist` });
			expect(options.order).toBe('descending');
			return options.before
				? {
						events: [memberEvent(ID, members[1]!, 'MemberAdded', 'T1')],
						hasNextPage: false,
						startCursor: null,
						endCursor: null,
					}
				: {
						events: [
							memberEvent(ID, members[1]!, 'MemberRemoved', 'T3'),
							memberEvent(other, members[2]!, 'MemberAdded', 'T2'),
						],
						hasNextPage: true,
						startCursor: 'a',
						endCursor: 'b',
					};
		});
		const state = await readAllowlist({ client, allowlistId: ID, packageId: PKG });
		expect(state).toMatchObject({
			id: ID,
			packageId: PKG,
			name: 'team',
			version: 1n,
			memberCount: 3n,
		});
		expect(state.members).toEqual([...members].sort());
		expect(core.listDynamicFields).toHaveBeenCalledTimes(2);
		expect(state.recentEvents?.map((e) => [e.kind, e.digest])).toEqual([
			['MemberRemoved', 'T3'],
			['MemberAdded', 'T1'],
		]);
		expect(state.eventsUnavailable).toBeUndefined();
	});

	it('still returns the state when the node cannot list events, saying why', async () => {
		const { client } = stub(async () => {
			throw new Error('UNIMPLEMENTED');
		});
		const state = await readAllowlist({ client, allowlistId: ID });
		expect(state.members).toHaveLength(3);
		expect(state.recentEvents).toBeUndefined();
		expect(state.eventsUnavailable).toMatch(/UNIMPLEMENTED/);
	});

	it('rejects an object that is not an allowlist, or one from another package', async () => {
		const { client } = stub(async () => ({ events: [] }), '0x2::coin::Coin<0x2::sui::SUI>');
		await expect(readAllowlist({ client, allowlistId: ID })).rejects.toThrow(ObjectReadError);
		const { client: real } = stub(async () => ({ events: [], hasNextPage: false }));
		await expect(
			readAllowlist({ client: real, allowlistId: ID, packageId: `0x${'01'.repeat(32)}` }),
		).rejects.toThrow(/not of 0x0101/);
	});
});
