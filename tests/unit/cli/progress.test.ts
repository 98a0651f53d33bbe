/** scripts/progress.ts: a bar on a TTY, at most one plain line per 10 % otherwise, on stderr. */
import { describe, expect, it } from 'vitest';

import { counted, progress } from '../../../scripts/progress.js';

function stream(isTTY: boolean) {
	const writes: string[] = [];
	return { writes, isTTY, write: (text: string) => void writes.push(text) };
}

describe('progress', () => {
	it('plain lines: at most one per 10 %, and a last line at 100 %', () => {
		const out = stream(false);
		const p = progress({ label: 'decrypting', total: 1000, unit: 'items', stream: out });
		for (let i = 0; i < 1000; i++) p.advance(1);
		p.done();
		expect(out.writes.length).toBeLessThanOrEqual(11);
		expect(out.writes.every((line) => line.endsWith('\n') && !line.includes('\r'))).toBe(true);
		expect(out.writes.at(-1)).toBe('decrypting: 100% (1000 of 1000)\n');
		expect(out.writes[0]).toBe('decrypting: 0% (1 of 1000)\n');
	});

	it('a TTY gets one redrawn bar, throttled, ending with a newline', () => {
		const out = stream(true);
		let now = 0;
		const p = progress({
			label: 'encrypting big.bin',
			total: 4 * 1024 * 1024,
			unit: 'bytes',
			stream: out,
			now: () => now,
		});
		for (let i = 0; i < 64; i++) {
			now += 10; // 10 ms apart: at most one redraw per 100 ms
			p.advance(64 * 1024);
		}
		p.done();
		expect(out.writes.length).toBeLessThan(12);
		expect(out.writes.slice(0, -1).every((w) => w.startsWith('\r['))).toBe(true);
		expect(out.writes.at(-2)).toContain(
			'[########################] encrypting big.bin: 100% (4.0 MiB of 4.0 MiB)',
		);
		expect(out.writes.at(-1)).toBe('\n');
	});

	it('says nothing below minTotal', () => {
		const out = stream(false);
		const p = progress({ label: 'x', total: 10, unit: 'bytes', stream: out, minTotal: 100 });
		p.advance(10);
		p.done();
		expect(out.writes).toEqual([]);
	});

	it('counted passes chunks through and reports their sizes', async () => {
		async function* source() {
			yield new Uint8Array(3);
			yield new Uint8Array(5);
		}
		const sizes: number[] = [];
		const seen: number[] = [];
		for await (const chunk of counted(source(), (n) => sizes.push(n))) seen.push(chunk.length);
		expect(sizes).toEqual([3, 5]);
		expect(seen).toEqual([3, 5]);
	});
});
