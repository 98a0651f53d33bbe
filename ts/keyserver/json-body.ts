/**
 * A typed JSON reader that answers like Mysten's stack (axum `Json` → serde_json `from_slice`
 * → serde-derived structs), so every body gets the same class of outcome there and here:
 * malformed JSON is a *syntax* error (axum: 400), well-formed JSON of the wrong shape is a
 * *data* error (axum: 422). `JSON.parse` cannot tell these apart and differs on numbers above
 * 2^53, duplicate keys, invalid UTF-8 and lone surrogates, hence this reader.
 *
 * Rules followed (serde_json 1.0.150, serde derive; the crate versions of MystenLabs/seal
 * Cargo.toml at ddc7e5d6):
 * - one pass in document order; the first error wins (a data error before a syntax error is 422);
 * - integers: `0|[1-9][0-9]*` only; `-0`, fractions, exponents and values above u64::MAX are
 *   floats to serde_json and a type error for an integer field; negatives are a value error;
 * - a struct may come as an object (unknown keys ignored, a repeated known key is
 *   `duplicate field`, a missing non-`Option` key is `missing field`) or as an array of exactly
 *   its fields in declaration order (fewer: `invalid length`, more: trailing characters);
 * - strings that are deserialized must be valid UTF-8 without lone surrogate escapes; strings
 *   that are skipped (unknown keys) are only checked for escapes and control characters;
 * - nesting deeper than 128 containers is an error (serde_json's recursion limit);
 * - after the value, only whitespace.
 */

/** Malformed JSON (axum `JsonSyntaxError`, HTTP 400). */
export class JsonSyntaxError extends Error {
	override name = 'JsonSyntaxError';
}

/** Well-formed JSON that does not fit the type (axum `JsonDataError`, HTTP 422). */
export class BodyDataError extends Error {
	override name = 'BodyDataError';
}

export type FieldType =
	| { kind: 'string'; check?: (value: string) => unknown }
	| { kind: 'option-string' }
	| { kind: 'uint'; max: bigint }
	| StructType;

export interface StructType {
	kind: 'struct';
	name: string;
	fields: readonly { name: string; type: FieldType }[];
}

const RECURSION_LIMIT = 128;
const U64_MAX = (1n << 64n) - 1n;
export const U16_MAX = 0xffffn;
export { U64_MAX };

/** Deserializes `bytes` as `type`; returns plain objects (strings, bigints, checked values). */
export function readJson(bytes: Uint8Array, type: StructType): Record<string, unknown> {
	const reader = new Reader(bytes);
	const value = reader.value(type) as Record<string, unknown>;
	reader.end();
	return value;
}

class Reader {
	private pos = 0;
	private depth = RECURSION_LIMIT;
	constructor(private readonly bytes: Uint8Array) {}

	private syntax(what: string): never {
		throw new JsonSyntaxError(`${what} at byte ${this.pos}`);
	}

	private ws(): number | undefined {
		while (this.pos < this.bytes.length) {
			const c = this.bytes[this.pos]!;
			if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
			this.pos++;
		}
		return undefined;
	}

	end(): void {
		if (this.ws() !== undefined) this.syntax('trailing characters');
	}

	value(type: FieldType): unknown {
		const c = this.ws();
		if (c === undefined) this.syntax('EOF while parsing a value');
		switch (type.kind) {
			case 'struct':
				if (c === 0x7b) return this.enter(() => this.structFromMap(type));
				if (c === 0x5b) return this.enter(() => this.structFromSeq(type));
				return this.invalidType(c, `struct ${type.name}`);
			case 'string':
				if (c !== 0x22) return this.invalidType(c, 'a string');
				return this.typedString(type.check);
			case 'option-string':
				if (c === 0x6e) {
					this.ident('null');
					return undefined;
				}
				if (c !== 0x22) return this.invalidType(c, 'a string');
				return this.typedString();
			case 'uint':
				return this.uint(c, type.max);
		}
	}

	private typedString(check?: (value: string) => unknown): unknown {
		const text = this.string(true);
		return check ? check(text) : text;
	}

	private enter<T>(body: () => T): T {
		if (--this.depth === 0) this.syntax('recursion limit exceeded');
		const result = body();
		this.depth++;
		return result;
	}

	/** serde_json's `peek_invalid_type`: scalars are parsed first (their syntax errors win). */
	private invalidType(c: number, expected: string): never {
		let found: string;
		if (c === 0x7b) found = 'map';
		else if (c === 0x5b) found = 'sequence';
		else if (c === 0x22) {
			this.string(true);
			found = 'string';
		} else if (c === 0x74 || c === 0x66) {
			this.ident(c === 0x74 ? 'true' : 'false');
			found = 'boolean';
		} else if (c === 0x6e) {
			this.ident('null');
			found = 'null';
		} else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
			found = this.number().kind;
		} else {
			this.syntax('expected value');
		}
		throw new BodyDataError(`invalid type: ${found}, expected ${expected}`);
	}

	private structFromMap(type: StructType): Record<string, unknown> {
		this.pos++; // {
		const out: Record<string, unknown> = {};
		const seen = new Set<string>();
		let first = true;
		for (;;) {
			let c = this.ws();
			if (c === 0x7d && first) {
				this.pos++;
				break;
			}
			if (!first) {
				if (c === 0x7d) {
					this.pos++;
					break;
				}
				if (c !== 0x2c)
					this.syntax(c === undefined ? 'EOF while parsing an object' : 'expected `,` or `}`');
				this.pos++;
				c = this.ws();
				if (c === 0x7d) this.syntax('trailing comma');
			}
			if (c === undefined) this.syntax('EOF while parsing an object');
			if (c !== 0x22) this.syntax('key must be a string');
			const key = this.string(true);
			if (this.ws() !== 0x3a) this.syntax('expected `:`');
			this.pos++;
			const field = type.fields.find((f) => f.name === key);
			if (field) {
				if (seen.has(key)) throw new BodyDataError(`duplicate field \`${key}\``);
				seen.add(key);
				out[key] = this.value(field.type);
			} else {
				this.skip();
			}
			first = false;
		}
		for (const field of type.fields) {
			if (seen.has(field.name)) continue;
			if (field.type.kind === 'option-string') out[field.name] = undefined;
			else throw new BodyDataError(`missing field \`${field.name}\``);
		}
		return out;
	}

	private structFromSeq(type: StructType): Record<string, unknown> {
		this.pos++; // [
		const out: Record<string, unknown> = {};
		for (const [i, field] of type.fields.entries()) {
			let c = this.ws();
			if (c === 0x5d) {
				throw new BodyDataError(
					`invalid length ${i}, expected struct ${type.name} with ${type.fields.length} elements`,
				);
			}
			if (i > 0) {
				if (c !== 0x2c)
					this.syntax(c === undefined ? 'EOF while parsing a list' : 'expected `,` or `]`');
				this.pos++;
				c = this.ws();
				if (c === 0x5d) this.syntax('trailing comma');
			}
			out[field.name] = this.value(field.type);
		}
		const c = this.ws();
		if (c === 0x5d) {
			this.pos++;
			return out;
		}
		if (c === undefined) this.syntax('EOF while parsing a list');
		this.syntax('trailing characters');
	}

	private uint(c: number, max: bigint): bigint {
		if (c !== 0x2d && (c < 0x30 || c > 0x39)) return this.invalidType(c, 'an integer');
		const number = this.number();
		if (number.kind === 'floating point') {
			throw new BodyDataError(`invalid type: floating point \`${number.text}\`, expected u64`);
		}
		if (number.kind === 'integer' && number.text.startsWith('-')) {
			throw new BodyDataError(`invalid value: integer \`${number.text}\`, expected u64`);
		}
		const value = BigInt(number.text);
		if (value > max) {
			throw new BodyDataError(`invalid value: integer \`${number.text}\`, expected at most ${max}`);
		}
		return value;
	}

	/** A JSON number; classified as serde_json's parser does. */
	private number(): { kind: 'integer' | 'floating point'; text: string } {
		const start = this.pos;
		const b = this.bytes;
		const digit = (at: number) => at < b.length && b[at]! >= 0x30 && b[at]! <= 0x39;
		const negative = b[this.pos] === 0x2d;
		if (negative) this.pos++;
		if (!digit(this.pos)) this.syntax('invalid number');
		if (b[this.pos] === 0x30) {
			this.pos++;
			if (digit(this.pos)) this.syntax('invalid number');
		} else {
			while (digit(this.pos)) this.pos++;
		}
		let float = false;
		if (b[this.pos] === 0x2e) {
			this.pos++;
			if (!digit(this.pos)) this.syntax('invalid number');
			while (digit(this.pos)) this.pos++;
			float = true;
		}
		if (b[this.pos] === 0x65 || b[this.pos] === 0x45) {
			this.pos++;
			if (b[this.pos] === 0x2b || b[this.pos] === 0x2d) this.pos++;
			if (!digit(this.pos)) this.syntax('invalid number');
			while (digit(this.pos)) this.pos++;
			float = true;
		}
		const text = Buffer.from(b.subarray(start, this.pos)).toString('latin1');
		if (float) return { kind: 'floating point', text };
		const magnitude = BigInt(negative ? text.slice(1) : text);
		// serde_json turns `-0` and integers outside u64 / i64 into floats.
		if (negative && (magnitude === 0n || magnitude > 1n << 63n)) {
			return { kind: 'floating point', text };
		}
		if (!negative && magnitude > U64_MAX) return { kind: 'floating point', text };
		return { kind: 'integer', text };
	}

	private ident(word: string): void {
		for (let i = 0; i < word.length; i++) {
			if (this.bytes[this.pos] !== word.charCodeAt(i)) {
				this.syntax(this.pos >= this.bytes.length ? 'EOF while parsing a value' : 'expected ident');
			}
			this.pos++;
		}
	}

	/**
	 * A string at `pos` (opening quote). `decode` = deserialized (UTF-8 and surrogates
	 * validated, text returned); otherwise skipped as serde_json's `ignore_str` does.
	 */
	private string(decode: true): string;
	private string(decode: false): undefined;
	private string(decode: boolean): string | undefined {
		this.pos++; // "
		const b = this.bytes;
		let runStart = this.pos;
		const parts: string[] = [];
		const flushRun = (end: number) => {
			if (!decode || end === runStart) return;
			const run = b.subarray(runStart, end);
			const text = utf8Strict(run);
			if (text === undefined) this.syntax('invalid unicode code point');
			parts.push(text);
		};
		for (;;) {
			if (this.pos >= b.length) this.syntax('EOF while parsing a string');
			const c = b[this.pos]!;
			if (c === 0x22) {
				flushRun(this.pos);
				this.pos++;
				return decode ? parts.join('') : undefined;
			}
			if (c < 0x20) this.syntax('control character (\\u0000-\\u001F) found while parsing a string');
			if (c !== 0x5c) {
				this.pos++;
				continue;
			}
			flushRun(this.pos);
			this.pos++;
			const e = b[this.pos];
			this.pos++;
			switch (e) {
				case 0x22:
					parts.push('"');
					break;
				case 0x5c:
					parts.push('\\');
					break;
				case 0x2f:
					parts.push('/');
					break;
				case 0x62:
					parts.push('\b');
					break;
				case 0x66:
					parts.push('\f');
					break;
				case 0x6e:
					parts.push('\n');
					break;
				case 0x72:
					parts.push('\r');
					break;
				case 0x74:
					parts.push('\t');
					break;
				case 0x75: {
					const unit = this.hex4();
					if (!decode) break;
					if (unit >= 0xdc00 && unit <= 0xdfff)
						this.syntax('lone trailing surrogate in hex escape');
					if (unit >= 0xd800 && unit <= 0xdbff) {
						if (b[this.pos] !== 0x5c || b[this.pos + 1] !== 0x75) {
							this.syntax('lone leading surrogate in hex escape');
						}
						this.pos += 2;
						const low = this.hex4();
						if (low < 0xdc00 || low > 0xdfff) this.syntax('lone leading surrogate in hex escape');
						parts.push(String.fromCharCode(unit, low));
					} else {
						parts.push(String.fromCharCode(unit));
					}
					break;
				}
				default:
					this.pos--;
					this.syntax(e === undefined ? 'EOF while parsing a string' : 'invalid escape');
			}
			runStart = this.pos;
		}
	}

	private hex4(): number {
		let value = 0;
		for (let i = 0; i < 4; i++) {
			const c = this.bytes[this.pos];
			if (c === undefined) this.syntax('EOF while parsing a string');
			const v =
				c >= 0x30 && c <= 0x39
					? c - 0x30
					: c >= 0x61 && c <= 0x66
						? c - 0x57
						: c >= 0x41 && c <= 0x46
							? c - 0x37
							: -1;
			if (v < 0) this.syntax('invalid escape');
			value = value * 16 + v;
			this.pos++;
		}
		return value;
	}

	/** Skips any value (serde's `IgnoredAny`), still checking its syntax. */
	private skip(): void {
		const c = this.ws();
		if (c === undefined) this.syntax('EOF while parsing a value');
		if (c === 0x22) return void this.string(false);
		if (c === 0x74) return this.ident('true');
		if (c === 0x66) return this.ident('false');
		if (c === 0x6e) return this.ident('null');
		if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return void this.number();
		if (c === 0x5b) return this.enter(() => this.skipList(0x5d, false));
		if (c === 0x7b) return this.enter(() => this.skipList(0x7d, true));
		this.syntax('expected value');
	}

	private skipList(close: number, isMap: boolean): void {
		this.pos++;
		let first = true;
		for (;;) {
			let c = this.ws();
			if (c === close && first) {
				this.pos++;
				return;
			}
			if (!first) {
				if (c === close) {
					this.pos++;
					return;
				}
				if (c !== 0x2c) this.syntax(c === undefined ? 'EOF while parsing a list' : 'expected `,`');
				this.pos++;
				c = this.ws();
				if (c === close) this.syntax('trailing comma');
			}
			if (isMap) {
				if (c !== 0x22)
					this.syntax(c === undefined ? 'EOF while parsing an object' : 'key must be a string');
				this.string(false);
				if (this.ws() !== 0x3a) this.syntax('expected `:`');
				this.pos++;
			}
			this.skip();
			first = false;
		}
	}
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true });

function utf8Strict(bytes: Uint8Array): string | undefined {
	try {
		return strictDecoder.decode(bytes);
	} catch {
		return undefined;
	}
}
