/**
 * The structural rules Mysten's key server applies to an approval PTB before any policy runs
 * (SEAL_NOTES §3.1), as a pure function over the BCS `ProgrammableTransaction` bytes (the
 * transaction-kind bytes without their leading tag byte, i.e. `txBytes.slice(1)`).
 */
import { bcs, TypeTagSerializer } from '@mysten/sui/bcs';
import { normalizeSuiAddress } from '@mysten/sui/utils';
import { InvalidPtbError } from './errors.js';
import { decodeBase64Strict } from './request.js';

/** Mysten's `MAX_COMMANDS`. */
export const MAX_PTB_COMMANDS = 100;

export type ProgrammableTransaction = ReturnType<typeof bcs.ProgrammableTransaction.parse>;

export interface ValidPtb {
	/** Package every command calls (`0x` + 64 hex); may be an upgraded version. */
	packageId: string;
	/** First argument of each command (the inner id), one per command, in command order. */
	innerIds: Uint8Array[];
	/** `module::function` of each command, in order. */
	functions: string[];
	/** The decoded PTB (for evaluators that re-serialize or extend it). */
	ptb: ProgrammableTransaction;
}

const idCodec = bcs.vector(bcs.u8());

/** Checks `ptbBytes` against the key server's PTB rules; throws `InvalidPtbError` with Mysten's detail. */
export function validatePtb(ptbBytes: Uint8Array): ValidPtb {
	const ptb = decodeCanonical(ptbBytes);
	if (ptb.commands.length > MAX_PTB_COMMANDS) {
		throw new InvalidPtbError(`Too many commands in PTB (more than ${MAX_PTB_COMMANDS})`);
	}
	const first = ptb.commands[0];
	if (ptb.inputs.length === 0 || first === undefined) {
		throw new InvalidPtbError('Empty PTB input or command');
	}
	if (first.$kind !== 'MoveCall') throw new InvalidPtbError('Invalid first command');
	const packageId = normalizeSuiAddress(first.MoveCall.package);
	const innerIds: Uint8Array[] = [];
	const functions: string[] = [];
	for (const command of ptb.commands) {
		if (command.$kind !== 'MoveCall') throw new InvalidPtbError('Non MoveCall command');
		const call = command.MoveCall;
		// Mysten checks every argument before the first one, so a non-input first argument
		// ("Invalid index for first argument" there) can never be reported.
		const inputIndices: number[] = [];
		for (const arg of call.arguments) {
			if (arg.$kind !== 'Input') throw new InvalidPtbError('Only pure inputs are allowed');
			inputIndices.push(arg.Input);
		}
		innerIds.push(firstArgumentId(ptb, inputIndices[0]));
		if (
			!call.function.startsWith('seal_approve') ||
			normalizeSuiAddress(call.package) !== packageId
		) {
			throw new InvalidPtbError('Invalid function or package id');
		}
		functions.push(`${call.module}::${call.function}`);
	}
	return { packageId, innerIds, functions, ptb };
}

/** Decodes base64 (as sent in `fetch_key`) and validates; detail "Invalid Base64" on bad text. */
export function validatePtbBase64(ptbBase64: string): ValidPtb {
	const bytes = decodeBase64Strict(ptbBase64);
	if (bytes === undefined) throw new InvalidPtbError('Invalid Base64');
	return validatePtb(bytes);
}

/** BCS must decode and re-encode to the same bytes (Rust's bcs is strict: no trailing bytes). */
function decodeCanonical(bytes: Uint8Array): ProgrammableTransaction {
	let ptb: ProgrammableTransaction;
	let again: Uint8Array;
	try {
		ptb = bcs.ProgrammableTransaction.parse(bytes);
		// Re-encoding throws on a type argument whose decoded text does not parse back.
		again = bcs.ProgrammableTransaction.serialize(ptb).toBytes();
	} catch (error) {
		throw new InvalidPtbError('Invalid BCS', { cause: error });
	}
	if (!Buffer.from(again).equals(Buffer.from(bytes))) throw new InvalidPtbError('Invalid BCS');
	for (const command of ptb.commands) {
		for (const type of command.MoveCall?.typeArguments ?? []) {
			if (PTB_TO_TYPE_DEPTH + typeDepth(TypeTagSerializer.parseFromStr(type)) > BCS_MAX_DEPTH) {
				throw new InvalidPtbError('Invalid BCS');
			}
		}
	}
	return ptb;
}

/**
 * The `bcs` crate refuses input nesting more than 500 named containers (structs, enums,
 * newtypes; `MAX_CONTAINER_DEPTH`, checked in `enter_named_container`), so Mysten's
 * `bcs::from_bytes::<ProgrammableTransaction>` (crates/key-server/src/valid_ptb.rs:132 at
 * ddc7e5d6) answers "Invalid BCS" for deeply nested type arguments that @mysten/bcs decodes.
 * Only type arguments can nest: ProgrammableTransaction → Command → ProgrammableMoveCall are 3
 * levels, then each `TypeInput` enum is 1 and each `StructInput` 1 more (its address 1 more).
 */
const BCS_MAX_DEPTH = 500;
const PTB_TO_TYPE_DEPTH = 3;

type TypeTag = ReturnType<typeof TypeTagSerializer.parseFromStr>;

export function typeDepth(tag: TypeTag): number {
	if ('vector' in tag) return 1 + typeDepth(tag.vector);
	if ('struct' in tag) {
		const params = tag.struct.typeParams.map(typeDepth);
		return Math.max(3, 2 + Math.max(0, ...params));
	}
	return 1;
}

function firstArgumentId(ptb: ProgrammableTransaction, inputIndex: number | undefined): Uint8Array {
	if (inputIndex === undefined) throw new InvalidPtbError('Empty args');
	const input = ptb.inputs[inputIndex];
	if (input?.$kind !== 'Pure') {
		throw new InvalidPtbError('Invalid first parameter for seal_approve');
	}
	const raw = Uint8Array.from(Buffer.from(input.Pure.bytes, 'base64'));
	try {
		const id = Uint8Array.from(idCodec.parse(raw));
		// Exact decode: the vector must consume every byte of the pure input.
		if (idCodec.serialize(Array.from(id)).toBytes().length !== raw.length)
			throw new Error('trailing bytes');
		return id;
	} catch (error) {
		throw new InvalidPtbError('Invalid BCS for first parameter for seal_approve', { cause: error });
	}
}
