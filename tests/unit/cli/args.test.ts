import { linkSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { inputOutputPaths, samePath } from '../../../scripts/args.js';
import { parseDecryptArgs } from '../../../scripts/commands/decrypt.js';
import { rewrapThreshold } from '../../../ts/seal/rewrap-plan.js';
import { InvalidInputError } from '../../../ts/errors.js';

describe('an output never overwrites its input', () => {
	const dir = mkdtempSync(join(tmpdir(), 'cli-args-'));
	afterAll(() => rmSync(dir, { recursive: true, force: true }));
	const file = join(dir, 'doc.seal');
	writeFileSync(file, 'x');

	it('sees through ./ and relative spellings', () => {
		const viaRelative = relative(process.cwd(), file);
		expect(samePath(file, viaRelative)).toBe(true);
		expect(samePath(join(dir, '.', 'doc.seal'), file)).toBe(true);
		expect(() => inputOutputPaths({ in: file, out: `${dir}/./doc.seal` })).toThrow(
			InvalidInputError,
		);
	});

	it('sees through hard and symbolic links', () => {
		const hard = join(dir, 'hard.seal');
		const soft = join(dir, 'soft.seal');
		linkSync(file, hard);
		symlinkSync(file, soft);
		expect(samePath(file, hard)).toBe(true);
		expect(samePath(soft, file)).toBe(true);
		expect(() => inputOutputPaths({ in: file, out: soft })).toThrow(/must differ from --in/);
	});

	it('lets different files through, existing or not', () => {
		const other = join(dir, 'other');
		writeFileSync(other, 'y');
		expect(samePath(file, other)).toBe(false);
		expect(samePath(file, join(dir, 'missing'))).toBe(false);
		expect(inputOutputPaths({ in: file, out: join(dir, 'new') })).toEqual({
			input: file,
			output: join(dir, 'new'),
		});
	});

	it('decrypt refuses an output that is one of the inputs', () => {
		const plain = join(dir, 'doc');
		writeFileSync(plain, 'z');
		// `doc.seal` decrypts to DIR/doc, which is the second input.
		expect(() => parseDecryptArgs([file, plain, '--out-dir', dir])).toThrow(
			/would overwrite the input/,
		);
		expect(() => parseDecryptArgs([file, '--out', `${dir}/./doc.seal`])).toThrow(InvalidInputError);
	});
});

describe('rewrap threshold', () => {
	function recorder() {
		const warnings: string[] = [];
		return { warnings, logger: { warn: (message: string) => warnings.push(message) } };
	}

	it("keeps the envelope's threshold unless --threshold is given", () => {
		const { warnings, logger } = recorder();
		expect(rewrapThreshold(undefined, 3, logger)).toBe(3);
		expect(warnings).toEqual([]);
	});

	it('warns when --threshold lowers it, not when it raises it', () => {
		const { warnings, logger } = recorder();
		expect(rewrapThreshold(4, 3, logger)).toBe(4);
		expect(warnings).toEqual([]);
		expect(rewrapThreshold(1, 3, logger)).toBe(1);
		expect(warnings).toEqual([
			'lowering the threshold from 3 to 1: fewer key servers will be needed to decrypt',
		]);
	});
});

describe('decrypt --check-shares', () => {
	it('is off unless asked for', () => {
		expect(parseDecryptArgs(['a.seal', '--out', 'a']).request.checkShares).toBe(false);
		expect(parseDecryptArgs(['a.seal', '--out', 'a', '--check-shares']).request.checkShares).toBe(
			true,
		);
	});
});
