/**
 * The one PTB that creates the localnet committee, decoded from its BCS and checked against the
 * Move signatures in move/seal/sources/key_server.move at MystenLabs/seal seal-v0.6.10
 * (commit af5e6f4565deec00c8bbad6b97a657cbe77288a2):
 *   public fun create_partial_key_server(name: String, url: String, partial_pk: vector<u8>, party_id: u16): PartialKeyServer
 *   public fun create_committee_v2(name: String, threshold: u16, pk: vector<u8>,
 *       partial_key_servers: vector<PartialKeyServer>, ctx: &mut TxContext): KeyServer
 *   public struct KeyServer has key, store   (so TransferObjects may move it)
 * and `validate_partial_key_servers`: threshold > 1, n >= threshold, party_id == index, unique names.
 */
import { bcs } from '@mysten/sui/bcs';
import { describe, expect, it } from 'vitest';
import { buildCreateCommitteeTx } from '../../../ts/localnet/committee-tx.js';
import { dealCommittee } from '../../../ts/localnet/dealer.js';
import { LocalnetTopologyError } from '../../../ts/localnet/errors.js';

const SEAL_PKG = `0x${'5e'.repeat(32)}`;
const OWNER = `0x${'ad'.repeat(32)}`;

function committee(threshold = 2, size = 3) {
	const dealt = dealCommittee(threshold, size);
	return {
		dealt,
		options: {
			sealPackageId: SEAL_PKG,
			name: 'localnet-committee',
			threshold,
			masterPublicKey: dealt.masterPublicKey,
			members: dealt.shares.map((s) => ({
				name: `m-${s.partyId}`,
				url: `http://127.0.0.1:${3000 + s.partyId}`,
				partialPublicKey: s.partialPublicKey,
			})),
			owner: OWNER,
		},
	};
}

async function decode(options: Parameters<typeof buildCreateCommitteeTx>[0]) {
	const bytes = await buildCreateCommitteeTx(options).build({ onlyTransactionKind: true });
	const ptb = bcs.TransactionKind.parse(bytes).ProgrammableTransaction;
	if (!ptb) throw new Error('not a programmable transaction');
	const pure = (arg: { $kind: string; Input?: number } | undefined) => {
		expect(arg?.$kind).toBe('Input');
		const input = ptb.inputs[arg?.Input ?? -1];
		expect(input?.$kind).toBe('Pure');
		return Uint8Array.from(Buffer.from(input?.Pure?.bytes ?? '', 'base64'));
	};
	return { ptb, pure };
}

describe('committee creation PTB', () => {
	it('n × create_partial_key_server, one MakeMoveVec, create_committee_v2, transfer to the admin', async () => {
		const { dealt, options } = committee(2, 3);
		const { ptb, pure } = await decode(options);
		expect(ptb.commands.map((c) => c.$kind)).toEqual([
			'MoveCall',
			'MoveCall',
			'MoveCall',
			'MakeMoveVec',
			'MoveCall',
			'TransferObjects',
		]);
		for (let party = 0; party < 3; party++) {
			const call = ptb.commands[party]?.MoveCall;
			expect(`${call?.package}::${call?.module}::${call?.function}`).toBe(
				`${SEAL_PKG}::key_server::create_partial_key_server`,
			);
			expect(call?.typeArguments).toEqual([]);
			expect(call?.arguments).toHaveLength(4);
			expect(bcs.string().parse(pure(call?.arguments[0]))).toBe(`m-${party}`);
			expect(bcs.string().parse(pure(call?.arguments[1]))).toBe(`http://127.0.0.1:${3000 + party}`);
			expect(Uint8Array.from(bcs.vector(bcs.u8()).parse(pure(call?.arguments[2])))).toEqual(
				dealt.shares[party]?.partialPublicKey,
			);
			// party_id: u16 equal to the position (EInvalidPartyId otherwise).
			const partyBytes = pure(call?.arguments[3]);
			expect(partyBytes).toHaveLength(2);
			expect(bcs.u16().parse(partyBytes)).toBe(party);
		}
		const vec = ptb.commands[3]?.MakeMoveVec;
		expect(vec?.type).toBe(`${SEAL_PKG}::key_server::PartialKeyServer`);
		expect(vec?.elements).toEqual([0, 1, 2].map((i) => ({ $kind: 'Result', Result: i })));

		const create = ptb.commands[4]?.MoveCall;
		expect(`${create?.package}::${create?.module}::${create?.function}`).toBe(
			`${SEAL_PKG}::key_server::create_committee_v2`,
		);
		// ctx is implicit: four explicit arguments.
		expect(create?.arguments).toHaveLength(4);
		expect(bcs.string().parse(pure(create?.arguments[0]))).toBe('localnet-committee');
		const threshold = pure(create?.arguments[1]);
		expect(threshold).toHaveLength(2);
		expect(bcs.u16().parse(threshold)).toBe(2);
		expect(Uint8Array.from(bcs.vector(bcs.u8()).parse(pure(create?.arguments[2])))).toEqual(
			dealt.masterPublicKey,
		);
		expect(create?.arguments[3]).toEqual({ $kind: 'Result', Result: 3 });

		const transfer = ptb.commands[5]?.TransferObjects;
		expect(transfer?.objects).toEqual([{ $kind: 'NestedResult', NestedResult: [4, 0] }]);
		expect(bcs.Address.parse(pure(transfer?.address))).toBe(OWNER);
	});

	it('refuses what validate_partial_key_servers would abort on', () => {
		const { options } = committee(2, 3);
		expect(() => buildCreateCommitteeTx({ ...options, threshold: 1 })).toThrow(/EInvalidThreshold/);
		expect(() => buildCreateCommitteeTx({ ...options, threshold: 4 })).toThrow(/EInvalidThreshold/);
		const [a, b, c] = options.members;
		expect(() =>
			buildCreateCommitteeTx({ ...options, members: [a!, { ...b!, name: a!.name }, c!] }),
		).toThrow(/EDuplicateName/);
		expect(() =>
			buildCreateCommitteeTx({
				...options,
				members: [a!, { ...b!, partialPublicKey: b!.partialPublicKey.slice(1) }, c!],
			}),
		).toThrow(LocalnetTopologyError);
		expect(() =>
			buildCreateCommitteeTx({ ...options, members: [a!, { ...b!, url: 'http://x/' }, c!] }),
		).toThrow(/must not end/);
		expect(() =>
			buildCreateCommitteeTx({ ...options, masterPublicKey: new Uint8Array(48) }),
		).toThrow(/96 bytes/);
	});
});
