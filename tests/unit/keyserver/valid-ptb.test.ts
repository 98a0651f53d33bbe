import { bcs } from '@mysten/sui/bcs';
import { Inputs, Transaction } from '@mysten/sui/transactions';
import { describe, expect, it } from 'vitest';
import { InvalidPtbError } from '../../../ts/keyserver/errors.js';
import { validatePtb, validatePtbBase64 } from '../../../ts/keyserver/valid-ptb.js';

const PKG = `0x${'ab'.repeat(32)}`;
const OTHER = `0x${'cd'.repeat(32)}`;
const CLOCK = Inputs.SharedObjectRef({ objectId: '0x6', initialSharedVersion: 1, mutable: false });

/** PTB bytes (kind bytes without the tag) built offline. */
async function ptb(build: (tx: Transaction) => void): Promise<Uint8Array> {
	const tx = new Transaction();
	build(tx);
	return (await tx.build({ onlyTransactionKind: true })).slice(1);
}

function call(
	tx: Transaction,
	{ pkg = PKG, module = 'm', fn = 'seal_approve', id = [1, 2, 3] } = {},
) {
	tx.moveCall({
		target: `${pkg}::${module}::${fn}`,
		arguments: [tx.pure.vector('u8', id), tx.object(CLOCK)],
	});
}

function detail(bytes: Uint8Array): string {
	try {
		validatePtb(bytes);
	} catch (error) {
		expect(error).toBeInstanceOf(InvalidPtbError);
		expect((error as InvalidPtbError).errorName).toBe('InvalidPTB');
		expect((error as InvalidPtbError).wireMessage).toBe(
			`Invalid PTB: ${(error as InvalidPtbError).detail}`,
		);
		return (error as InvalidPtbError).detail;
	}
	return 'valid';
}

describe('validatePtb accepts', () => {
	it('seal_approve* calls into one package (modules may differ), extracting inner ids in order', async () => {
		const bytes = await ptb((tx) => {
			call(tx, { module: 'bla', fn: 'seal_approve_x', id: [1] });
			call(tx, { module: 'bla2', fn: 'seal_approve', id: [] });
		});
		const valid = validatePtb(bytes);
		expect(valid.packageId).toBe(PKG);
		expect(valid.innerIds.map((id) => Array.from(id))).toEqual([[1], []]);
		expect(valid.functions).toEqual(['bla::seal_approve_x', 'bla2::seal_approve']);
		expect(validatePtbBase64(Buffer.from(bytes).toString('base64')).packageId).toBe(PKG);
	});

	it('exactly 100 commands', async () => {
		const bytes = await ptb((tx) => {
			for (let i = 0; i < 100; i++) call(tx);
		});
		expect(validatePtb(bytes).innerIds).toHaveLength(100);
	});
});

describe("validatePtb rejects with Mysten's detail", () => {
	it('101 commands', async () => {
		const bytes = await ptb((tx) => {
			for (let i = 0; i < 101; i++) call(tx);
		});
		expect(detail(bytes)).toBe('Too many commands in PTB (more than 100)');
	});

	it('bytes that are not a ProgrammableTransaction, or carry trailing bytes', async () => {
		expect(detail(new Uint8Array([1, 2, 3]))).toBe('Invalid BCS');
		const good = await ptb((tx) => call(tx));
		expect(detail(new Uint8Array([...good, 0]))).toBe('Invalid BCS');
		// Full TransactionKind bytes (tag byte not stripped) are not a PTB either.
		expect(detail(new Uint8Array([0, ...good]))).not.toBe('valid');
	});

	it('text that is not base64', () => {
		expect(() => validatePtbBase64('not base64!')).toThrow(/Invalid Base64/);
	});

	it('base64 with non-zero padding bits (a second spelling of the same bytes)', async () => {
		const good = Buffer.from(await ptb((tx) => call(tx))).toString('base64');
		expect(validatePtbBase64(good).innerIds).toHaveLength(1);
		// Find a spelling whose last data symbol carries unused bits, and set one of them.
		const padded = good.endsWith('==') ? 4 : good.endsWith('=') ? 2 : 0;
		expect(padded).toBeGreaterThan(0);
		const at = good.replace(/=+$/, '').length - 1;
		const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
		const lax = good.slice(0, at) + alphabet[alphabet.indexOf(good[at]!) | 1] + good.slice(at + 1);
		expect(Buffer.from(lax, 'base64').equals(Buffer.from(good, 'base64'))).toBe(true);
		expect(() => validatePtbBase64(lax)).toThrow(/Invalid Base64/);
	});

	it('an empty PTB', () => {
		expect(
			detail(bcs.ProgrammableTransaction.serialize({ inputs: [], commands: [] }).toBytes()),
		).toBe('Empty PTB input or command');
	});

	it('a PTB with commands but no inputs, or inputs but no commands', async () => {
		const noInputs = await ptb((tx) => {
			tx.moveCall({ target: `${PKG}::m::seal_approve`, arguments: [] });
		});
		expect(detail(noInputs)).toBe('Empty PTB input or command');
		const noCommands = await ptb((tx) => {
			tx.pure.vector('u8', [1]);
		});
		expect(detail(noCommands)).toBe('Empty PTB input or command');
	});

	it('keeps the decoder error as the cause', async () => {
		const causeOf = (bytes: Uint8Array) => {
			try {
				validatePtb(bytes);
			} catch (error) {
				return (error as Error).cause;
			}
			return undefined;
		};
		expect(causeOf(new Uint8Array([1, 2, 3]))).toBeInstanceOf(Error);
		const u64 = await ptb((tx) => {
			tx.moveCall({ target: `${PKG}::m::seal_approve`, arguments: [tx.pure.u64(5)] });
		});
		expect(causeOf(u64)).toBeInstanceOf(Error);
	});

	it('a type argument that decodes but cannot be re-encoded, as Invalid BCS with the cause', async () => {
		const bytes = await ptb((tx) =>
			tx.moveCall({
				target: `${PKG}::m::seal_approve`,
				arguments: [tx.pure.vector('u8', [1])],
				typeArguments: [`${PKG}::m::S`],
			}),
		);
		// Rename struct `S` to `<` in place: BCS still decodes (names are plain strings), but the
		// decoded type text `...::m::<` does not parse back, so re-encoding throws.
		const at = Buffer.from(bytes).indexOf(Buffer.from([1, 0x6d, 1, 0x53]));
		expect(at).toBeGreaterThan(0);
		const renamed = Uint8Array.from(bytes);
		renamed[at + 3] = '<'.charCodeAt(0);
		expect(bcs.ProgrammableTransaction.parse(renamed).commands[0]!.MoveCall!.typeArguments).toEqual(
			[`${PKG}::m::<`],
		);
		expect(detail(renamed)).toBe('Invalid BCS');
		expect(() => validatePtb(renamed)).toThrow(
			expect.objectContaining({ cause: expect.any(Error) }) as Error,
		);
	});

	it('a first command that is not a MoveCall', async () => {
		const bytes = await ptb((tx) => {
			tx.splitCoins(tx.gas, [1]);
			call(tx);
		});
		expect(detail(bytes)).toBe('Invalid first command');
	});

	it('a later command that is not a MoveCall', async () => {
		const bytes = await ptb((tx) => {
			call(tx);
			tx.transferObjects([tx.object(CLOCK)], tx.pure.address(PKG));
		});
		expect(detail(bytes)).toBe('Non MoveCall command');
	});

	it('an argument that is a command result or the gas coin', async () => {
		const result = await ptb((tx) => {
			const [r] = tx.moveCall({
				target: `${PKG}::m::seal_approve`,
				arguments: [tx.pure.vector('u8', [1])],
			});
			tx.moveCall({
				target: `${PKG}::m::seal_approve`,
				arguments: [tx.pure.vector('u8', [1]), r!],
			});
		});
		expect(detail(result)).toBe('Only pure inputs are allowed');
		const gas = await ptb((tx) => {
			tx.moveCall({
				target: `${PKG}::m::seal_approve`,
				arguments: [tx.pure.vector('u8', [1]), tx.gas],
			});
		});
		expect(detail(gas)).toBe('Only pure inputs are allowed');
	});

	it('a call without arguments', async () => {
		const bytes = await ptb((tx) => {
			tx.pure.u8(1);
			tx.moveCall({ target: `${PKG}::m::seal_approve`, arguments: [] });
		});
		expect(detail(bytes)).toBe('Empty args');
	});

	it('an object as first argument', async () => {
		const bytes = await ptb((tx) => {
			tx.moveCall({ target: `${PKG}::m::seal_approve`, arguments: [tx.object(CLOCK)] });
		});
		expect(detail(bytes)).toBe('Invalid first parameter for seal_approve');
	});

	it('a first argument pointing past the inputs', async () => {
		const good = bcs.ProgrammableTransaction.parse(await ptb((tx) => call(tx)));
		const call0 = good.commands[0]!.MoveCall!;
		const bytes = bcs.ProgrammableTransaction.serialize({
			inputs: good.inputs,
			commands: [{ MoveCall: { ...call0, arguments: [{ Input: 7 }] } }],
		}).toBytes();
		expect(detail(bytes)).toBe('Invalid first parameter for seal_approve');
	});

	it('a pure first argument that is not exactly a vector<u8>', async () => {
		const u64 = await ptb((tx) => {
			tx.moveCall({ target: `${PKG}::m::seal_approve`, arguments: [tx.pure.u64(5)] });
		});
		expect(detail(u64)).toBe('Invalid BCS for first parameter for seal_approve');
		const address = await ptb((tx) => {
			tx.moveCall({ target: `${PKG}::m::seal_approve`, arguments: [tx.pure.address(PKG)] });
		});
		expect(detail(address)).toBe('Invalid BCS for first parameter for seal_approve');
	});

	it('a function without the seal_approve prefix, or calls into two packages', async () => {
		expect(detail(await ptb((tx) => call(tx, { fn: 'approve' })))).toBe(
			'Invalid function or package id',
		);
		expect(detail(await ptb((tx) => call(tx, { fn: 'xseal_approve' })))).toBe(
			'Invalid function or package id',
		);
		const two = await ptb((tx) => {
			call(tx);
			call(tx, { pkg: OTHER });
		});
		expect(detail(two)).toBe('Invalid function or package id');
	});
});

describe('BCS nesting depth', () => {
	// bcs crate MAX_CONTAINER_DEPTH = 500 (named containers), applied by Mysten's
	// `bcs::from_bytes::<ProgrammableTransaction>` (crates/key-server/src/valid_ptb.rs:132 at
	// ddc7e5d6): 3 levels down to the call, then one per nested `TypeInput`.
	const nested = (vectors: number) => `${'vector<'.repeat(vectors)}u8${'>'.repeat(vectors)}`;
	const withType = (typeArgument: string) =>
		ptb((tx) =>
			tx.moveCall({
				target: `${PKG}::m::seal_approve`,
				arguments: [tx.pure.vector('u8', [1])],
				typeArguments: [typeArgument],
			}),
		);

	it('accepts type arguments up to the limit and refuses one level more as Invalid BCS', async () => {
		expect(detail(await withType(nested(496)))).toBe('valid');
		expect(detail(await withType(nested(497)))).toBe('Invalid BCS');
		// A struct level is two containers (TypeInput::Struct + StructInput).
		const struct = (inner: string) => `${PKG}::m::S<${inner}>`;
		expect(detail(await withType(struct(nested(494))))).toBe('valid');
		expect(detail(await withType(struct(nested(495))))).toBe('Invalid BCS');
	});
});
