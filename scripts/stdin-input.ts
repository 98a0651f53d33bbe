/**
 * `--in -`: the input comes from standard input. Its size is unknown up front, so the first
 * bytes are read to choose (a small input is one Seal object, a larger one streams as an
 * envelope), and the rest follows as a stream; nothing is written to disk on the way.
 */
import { UsageError } from '../ts/errors.js';

export type InputSource = AsyncIterable<Uint8Array> & { isTTY?: boolean };

/** Refuses a terminal: `--in -` waiting on a keyboard would look like a hang. */
export function checkStdin(stdin: InputSource, flag: string): void {
	if (stdin.isTTY === true) {
		throw new UsageError(
			flag,
			"'-' reads standard input, which is a terminal here: pipe the data in (`cat FILE | seal-policies … --in -`)",
		);
	}
}

export interface PeekedInput {
	/** The bytes read so far (all of them when `complete`). */
	readonly head: Uint8Array;
	/** True when the input ended within `limit` bytes. */
	readonly complete: boolean;
	/** Every byte of the input, `head` first. */
	readonly stream: AsyncIterable<Uint8Array>;
}

/** Reads until the input ends or more than `limit` bytes have arrived. */
export async function peekInput(
	source: AsyncIterable<Uint8Array>,
	limit: number,
): Promise<PeekedInput> {
	const iterator = source[Symbol.asyncIterator]();
	const chunks: Uint8Array[] = [];
	let size = 0;
	let complete = false;
	while (size <= limit) {
		const next = await iterator.next();
		if (next.done) {
			complete = true;
			break;
		}
		chunks.push(next.value);
		size += next.value.length;
	}
	const head = Buffer.concat(chunks);
	async function* stream(): AsyncGenerator<Uint8Array> {
		if (head.length > 0) yield head;
		if (complete) return;
		for (;;) {
			const next = await iterator.next();
			if (next.done) return;
			yield next.value;
		}
	}
	return { head, complete, stream: stream() };
}
