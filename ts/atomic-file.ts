/** Files written whole or not at all: a temp file next to the target, then a rename. */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Writes `data` (text as UTF-8, bytes, or a byte stream) to a temp file in `path`'s directory and
 * renames it into place, so readers see the old file or the new one, never half. On any error
 * the temp file is removed and `path` is untouched. Returns the bytes written. `mode` 0o600
 * suits plaintext and secrets.
 */
export async function writeFileAtomic(
	path: string,
	data: string | Uint8Array | AsyncIterable<Uint8Array>,
	mode = 0o644,
): Promise<number> {
	await mkdir(dirname(path), { recursive: true });
	const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
	const source = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
	let bytes = 0;
	async function* counted(): AsyncGenerator<Uint8Array> {
		if (source instanceof Uint8Array) {
			bytes += source.length;
			yield source;
			return;
		}
		for await (const piece of source) {
			bytes += piece.length;
			yield piece;
		}
	}
	try {
		await pipeline(Readable.from(counted()), createWriteStream(temp, { mode, flags: 'wx' }));
		await rename(temp, path);
	} catch (error) {
		await rm(temp, { force: true });
		throw error;
	}
	return bytes;
}
