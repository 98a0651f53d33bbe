/**
 * What a file on disk holds, from its first bytes, before any key or network is involved: an
 * envelope (`02 01`, whose header is parsed now and whose body is streamed later), a Seal object
 * (`02 00`) or a wallet-key blob (`01`). Format errors are re-thrown naming the file, so a user
 * with several inputs knows which one is bad.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

import { readEnvelopeHeader } from './envelope.js';
import { InvalidInputError } from '../../errors.js';
import { FormatError, UnknownFormatTagError } from '../errors.js';
import { SEAL_KIND_ENVELOPE, SEAL_KIND_OBJECT, TAG_SEAL, TAG_WALLET_AES } from './format.js';

/** Up to the first `count` bytes of `path` (fewer when the file is shorter). */
export async function readFileHead(path: string, count = 2): Promise<Uint8Array> {
	const file = await open(path, 'r');
	try {
		const head = new Uint8Array(count);
		const { bytesRead } = await file.read(head, 0, count, 0);
		return head.subarray(0, bytesRead);
	} finally {
		await file.close();
	}
}

/** True when the file starts with the envelope tag `02 01`. */
export async function isEnvelopeFile(path: string): Promise<boolean> {
	const head = await readFileHead(path);
	return head.length === 2 && head[0] === TAG_SEAL && head[1] === SEAL_KIND_ENVELOPE;
}

/** Parses the envelope header of `path` now (format errors name the file), then closes it. */
export async function checkEnvelopeFile(path: string): Promise<void> {
	const stream = createReadStream(path);
	try {
		await withFileNamedErrors(path, () => readEnvelopeHeader(stream));
	} finally {
		stream.destroy();
	}
}

/**
 * Only envelopes can be rewrapped: anything else is refused, named by what its first bytes say
 * it is (`field` is the flag that named the file).
 */
export async function assertEnvelopeFile(path: string, field: string): Promise<void> {
	const head = await readFileHead(path);
	if (head[0] === TAG_SEAL && head[1] === SEAL_KIND_ENVELOPE) return checkEnvelopeFile(path);
	const hex = [...head].map((b) => b.toString(16).padStart(2, '0')).join(' ');
	const what =
		head.length === 0
			? 'the file is empty'
			: head[0] === TAG_SEAL && head[1] === SEAL_KIND_OBJECT
				? `starts ${hex}, a plain Seal object (decrypt and encrypt it again to change its key servers)`
				: head[0] === TAG_WALLET_AES
					? `starts ${hex}, a wallet-key blob (no key servers to change)`
					: `starts ${hex}, not a file written by \`seal-policies encrypt --envelope\``;
	throw new InvalidInputError(field, `${path} is not an envelope: ${what}`);
}

/** Runs `read`; a format error comes back as an `InvalidInputError` naming `path`. */
export function withFileNamedErrors<T>(path: string, read: () => T): T {
	let result: T;
	try {
		result = read();
	} catch (error) {
		throw nameFile(path, error);
	}
	if (result instanceof Promise)
		return result.catch((error: unknown) => {
			throw nameFile(path, error);
		}) as T;
	return result;
}

function nameFile(path: string, error: unknown): unknown {
	if (error instanceof UnknownFormatTagError) {
		return new InvalidInputError(
			path,
			`unknown format tag 0x${error.tag.toString(16).padStart(2, '0')}: not written by \`seal-policies encrypt\` (if it is a legacy untagged AES-GCM blob under your wallet key, add --wallet-key)`,
			{ cause: error },
		);
	}
	if (error instanceof FormatError) {
		return new InvalidInputError(path, `${error.name}: ${error.message}`, { cause: error });
	}
	return error;
}
