/**
 * A minimal ustar writer for tests: builds the crafted Sui release archives the installer is
 * checked against (regular files, directories, links, GNU long names), gzipped like Sui's.
 */
import { gzipSync } from 'node:zlib';

export interface TarEntry {
	name: string;
	/** '0' file (default), '5' directory, '2' symlink, 'L' GNU long name. */
	type?: string;
	data?: Uint8Array;
	linkName?: string;
	mode?: number;
	/** ustar `prefix` field (the name is `prefix/name`). */
	prefix?: string;
	/** Write the size in GNU base-256 form instead of octal. */
	base256Size?: boolean;
}

function header(entry: TarEntry, size: number): Buffer {
	const block = Buffer.alloc(512);
	const put = (offset: number, length: number, value: string) =>
		block.write(value.slice(0, length), offset, 'utf8');
	const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0');
	put(0, 100, entry.name);
	put(100, 8, octal(entry.mode ?? 0o755, 8));
	put(108, 8, octal(0, 8));
	put(116, 8, octal(0, 8));
	if (entry.base256Size) {
		block[124] = 0x80;
		block.writeUIntBE(size, 136 - 6, 6);
	} else {
		put(124, 12, octal(size, 12));
	}
	put(136, 12, octal(0, 12));
	block.fill(0x20, 148, 156);
	put(156, 1, entry.type ?? '0');
	if (entry.linkName) put(157, 100, entry.linkName);
	put(257, 6, 'ustar\0');
	put(263, 2, '00');
	if (entry.prefix) put(345, 155, entry.prefix);
	let sum = 0;
	for (const byte of block) sum += byte;
	put(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
	return block;
}

function pad(data: Uint8Array): Buffer {
	const padded = Buffer.alloc(Math.ceil(data.length / 512) * 512);
	padded.set(data);
	return padded;
}

export function tarBytes(entries: TarEntry[]): Buffer {
	const parts: Buffer[] = [];
	for (const entry of entries) {
		const data = entry.data ?? new Uint8Array();
		parts.push(header(entry, data.length), pad(data));
	}
	parts.push(Buffer.alloc(1024));
	return Buffer.concat(parts);
}

export function tgzBytes(entries: TarEntry[]): Buffer {
	return gzipSync(tarBytes(entries));
}

/** A pax extended header's records (`<len> key=value\n`), as `tar --format=pax` writes them. */
export function paxRecords(records: Record<string, string>): Buffer {
	let out = '';
	for (const [key, value] of Object.entries(records)) {
		const body = ` ${key}=${value}\n`;
		let length = body.length + 1;
		while (`${length}${body}`.length !== length) length += 1;
		out += `${length}${body}`;
	}
	return Buffer.from(out);
}
