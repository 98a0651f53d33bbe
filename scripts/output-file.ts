/**
 * Writing a command's output and reading a whole input, as the CLI reports them: a failure names
 * the flag and the file the user gave (never the temporary name the atomic write uses), and an
 * input too large to hold in memory is refused before anything is printed or contacted.
 */
import { stat } from 'node:fs/promises';

import { writeFileAtomic } from '../ts/atomic-file.js';
import { InvalidInputError } from '../ts/errors.js';

/** What Node can read into one buffer (`fs.readFile` refuses more than 2 GiB − 1). */
export const MAX_IN_MEMORY_BYTES = 2 ** 31 - 1;

export function formatSize(bytes: number): string {
	return bytes >= 1024 ** 3
		? `${(bytes / 1024 ** 3).toFixed(1)} GiB`
		: `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/** Refuses an input read whole into memory when it is larger than Node can read at once. */
export async function checkInMemorySize(
	path: string,
	flag: string,
	instead: string,
): Promise<void> {
	const { size } = await stat(path);
	if (size > MAX_IN_MEMORY_BYTES) {
		throw new InvalidInputError(
			flag,
			`${path} is ${formatSize(size)}; ${instead} (at most ${formatSize(MAX_IN_MEMORY_BYTES)})`,
		);
	}
}

const WRITE_FAILURES: Readonly<Record<string, string>> = {
	ENOENT: 'no file can be created there',
	EACCES: 'permission denied',
	EPERM: 'not permitted',
	EROFS: 'read-only file system',
	ENOSPC: 'no space left on the device',
	EDQUOT: 'disk quota exceeded',
	EISDIR: 'it is a directory',
	ENOTDIR: 'a part of the path is not a directory',
	EFBIG: 'the file is too large for this file system',
	EEXIST: 'a file of the same temporary name exists (retry)',
};

/** `writeFileAtomic`, with a file-system failure reported against `flag` and `path`. */
export async function writeOutputFile(
	path: string,
	data: string | Uint8Array | AsyncIterable<Uint8Array>,
	flag: string,
	mode?: number,
): Promise<number> {
	try {
		return await writeFileAtomic(path, data, mode);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		const why = code === undefined ? undefined : WRITE_FAILURES[code];
		if (why === undefined) throw error;
		throw new InvalidInputError(
			flag,
			`cannot write ${path}: ${why} (${code}); nothing was written`,
			{
				cause: error,
			},
		);
	}
}
