/** Output files of the encrypt/decrypt/rewrap commands: written whole or not at all. */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Streams `data` into a temp file next to `path`, then renames it into place. On any error the
 * temp file is removed and `path` is untouched. `mode` 0o600 suits plaintext outputs.
 */
export async function writeOutputAtomic(
	path: string,
	data: Uint8Array | AsyncIterable<Uint8Array>,
	mode = 0o644,
): Promise<number> {
	await mkdir(dirname(path), { recursive: true });
	const temp = `${path}.${process.pid}.${Date.now()}.partial`;
	let bytes = 0;
	async function* counted(): AsyncGenerator<Uint8Array> {
		if (data instanceof Uint8Array) {
			bytes += data.length;
			yield data;
			return;
		}
		for await (const piece of data) {
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
