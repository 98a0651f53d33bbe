/**
 * Reads one regular file out of a tar stream (ustar, with GNU long names and pax `path`
 * records), without holding the archive in memory: Sui's archives carry several large binaries
 * and only `sui` is wanted. The entry's bytes go to `write`; everything else is skipped.
 * Headers are checked (checksum, octal fields), so a corrupt archive fails instead of
 * producing a wrong file.
 */
import { SuiInstallError } from './errors.js';

const BLOCK = 512;

/** Pulls exact byte counts out of an async stream of chunks. */
class ByteReader {
	private buffered: Buffer = Buffer.alloc(0);
	private readonly iterator: AsyncIterator<Buffer>;
	constructor(source: AsyncIterable<Buffer>) {
		this.iterator = source[Symbol.asyncIterator]();
	}

	/** Exactly `n` bytes, or undefined at a clean end of stream before any byte. */
	async read(n: number): Promise<Buffer | undefined> {
		while (this.buffered.length < n) {
			const next = await this.iterator.next();
			if (next.done) {
				if (this.buffered.length === 0) return undefined;
				throw truncated();
			}
			this.buffered = Buffer.concat([this.buffered, next.value]);
		}
		const out = this.buffered.subarray(0, n);
		this.buffered = this.buffered.subarray(n);
		return out;
	}

	/** Passes the next `n` bytes to `sink` (undefined: drops them), chunk by chunk. */
	async forward(n: number, sink?: (chunk: Buffer) => Promise<void>): Promise<void> {
		let left = n;
		while (left > 0) {
			if (this.buffered.length === 0) {
				const next = await this.iterator.next();
				if (next.done) throw truncated();
				this.buffered = next.value;
			}
			const take = Math.min(left, this.buffered.length);
			const piece = this.buffered.subarray(0, take);
			this.buffered = this.buffered.subarray(take);
			left -= take;
			if (sink) await sink(piece);
		}
	}
}

function truncated(): SuiInstallError {
	return new SuiInstallError('the Sui archive is truncated (it ends inside an entry)');
}

function corrupt(what: string): SuiInstallError {
	return new SuiInstallError(`the Sui archive is not a valid tar file: ${what}`);
}

function text(bytes: Buffer): string {
	const end = bytes.indexOf(0);
	return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
}

/** A numeric header field: octal digits (space/NUL padded), or GNU base-256 for large sizes. */
function numberField(bytes: Buffer, what: string): number {
	if ((bytes[0] ?? 0) & 0x80) {
		let value = 0;
		for (let i = 1; i < bytes.length; i++) value = value * 256 + (bytes[i] ?? 0);
		if (!Number.isSafeInteger(value)) throw corrupt(`${what} is too large`);
		return value;
	}
	const digits = text(bytes).trim();
	if (digits === '') return 0;
	if (!/^[0-7]+$/.test(digits)) throw corrupt(`${what} '${digits}' is not octal`);
	return parseInt(digits, 8);
}

function checksumOk(header: Buffer): boolean {
	let sum = 0;
	for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
	return sum === numberField(header.subarray(148, 156), 'checksum');
}

/** `./sui` and `sui` are the same name; leading `./` is how `tar -C dir .` writes them. */
function normalise(name: string): string {
	return name.replace(/^(\.\/)+/, '');
}

/** The `path` record of a pax extended header, if any. */
function paxPath(data: Buffer): string | undefined {
	let offset = 0;
	let found: string | undefined;
	while (offset < data.length) {
		const space = data.indexOf(0x20, offset);
		if (space === -1) break;
		const length = Number(data.subarray(offset, space).toString('ascii'));
		if (!Number.isInteger(length) || length <= 0) throw corrupt('bad pax record');
		const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
		const equals = record.indexOf('=');
		if (equals !== -1 && record.slice(0, equals) === 'path') found = record.slice(equals + 1);
		offset += length;
	}
	return found;
}

/**
 * Streams the regular file named `wanted` (e.g. `sui`) to `write`. Resolves true when it was
 * found, false when the archive ended without it. A `wanted` that is a link is refused.
 */
export async function extractTarEntry(
	source: AsyncIterable<Buffer>,
	wanted: string,
	write: (chunk: Buffer) => Promise<void>,
): Promise<boolean> {
	const reader = new ByteReader(source);
	let longName: string | undefined;
	for (;;) {
		const header = await reader.read(BLOCK);
		if (header === undefined || header.every((byte) => byte === 0)) return false;
		if (!checksumOk(header)) throw corrupt('a header checksum does not match');
		const size = numberField(header.subarray(124, 136), 'size');
		const padded = Math.ceil(size / BLOCK) * BLOCK;
		const type = String.fromCharCode(header[156] ?? 0);
		if (type === 'L' || type === 'x') {
			const data = await reader.read(padded);
			if (data === undefined) throw truncated();
			longName = type === 'L' ? text(data.subarray(0, size)) : paxPath(data.subarray(0, size));
			continue;
		}
		const prefix =
			header.subarray(257, 262).toString('ascii') === 'ustar'
				? text(header.subarray(345, 500))
				: '';
		const name = normalise(
			longName ??
				(prefix ? `${prefix}/${text(header.subarray(0, 100))}` : text(header.subarray(0, 100))),
		);
		longName = undefined;
		if (name === wanted) {
			if (type !== '0' && type !== '\0' && type !== '7') {
				throw new SuiInstallError(
					`the Sui archive's ${wanted} is not a regular file (tar type '${type}'); refusing it`,
				);
			}
			await reader.forward(size, write);
			await reader.forward(padded - size);
			return true;
		}
		await reader.forward(padded);
	}
}
