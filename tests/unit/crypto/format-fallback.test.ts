// readBlob's fallback order at its edges: the legacy length bound, the no-key path and the
// catch-all that keeps non-FormatErrors out (each found by a mutation run of ts/crypto/node/format.ts).
import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { MalformedCiphertextError, UnknownFormatTagError } from '../../../ts/crypto/errors.js';
import { encodeLegacyAesBlob, readBlob } from '../../../ts/crypto/node/format.js';

const key = new Uint8Array(randomBytes(32));

/** A legacy blob whose random iv does not start with a known tag (0x00, 0x01, 0x02). */
function legacyBlob(plaintext: Uint8Array): Uint8Array {
	for (;;) {
		const blob = encodeLegacyAesBlob(key, plaintext);
		if ((blob[0] as number) > 0x02) return blob;
	}
}

describe('readBlob fallback edges', () => {
	it('a legacy blob of exactly iv + tag (empty plaintext, 28 bytes) opens', () => {
		const blob = legacyBlob(new Uint8Array());
		expect(blob.length).toBe(28);
		const result = readBlob(blob, { key });
		expect(result).toEqual({ format: 'legacy-aes', plaintext: new Uint8Array() });
	});

	it('an unknown tag long enough for a legacy blob, without a key, is UnknownFormatTagError', () => {
		const bytes = new Uint8Array(64).fill(0x07);
		const error = (() => {
			try {
				readBlob(bytes);
			} catch (caught) {
				return caught;
			}
			return undefined;
		})();
		expect(error).toBeInstanceOf(UnknownFormatTagError);
		expect(String(error)).toMatch(/unknown format tag 0x07.*pass its key/);
	});

	it('an unknown tag shorter than iv + tag, with a key, is UnknownFormatTagError', () => {
		for (const length of [1, 16, 27]) {
			const bytes = new Uint8Array(length).fill(0x07);
			expect(() => readBlob(bytes, { key })).toThrow(UnknownFormatTagError);
		}
	});

	it('a value that is not bytes (a JS caller passing null) is MalformedCiphertextError with the cause kept', () => {
		let error: unknown;
		try {
			readBlob(null as unknown as Uint8Array);
		} catch (caught) {
			error = caught;
		}
		expect(error).toBeInstanceOf(MalformedCiphertextError);
		expect((error as Error).cause).toBeInstanceOf(TypeError);
	});
});
