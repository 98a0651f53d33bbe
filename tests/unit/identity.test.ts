import { readdirSync, readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { InvalidInputError } from '../../ts/errors.js';
import {
	allowlistInnerId,
	fromHex,
	fullIdentity,
	normalizeObjectId,
	objectIdBytes,
	ownerInnerId,
	parseAllowlistInnerId,
	parseOwnerInnerId,
	randomNonce,
	toHex,
} from '../../ts/identity.js';

interface Vector {
	name: string;
	policy: 'owner' | 'allowlist';
	prefix: string;
	nonce: string;
	innerId: string;
}

const vectors = (
	JSON.parse(
		readFileSync(new URL('../fixtures/identity-vectors.json', import.meta.url), 'utf8'),
	) as { vectors: Vector[] }
).vectors;

describe('shared identity vectors (same bytes as the Move tests)', () => {
	it('has exactly V1, V2, V3', () => {
		expect(vectors.map((v) => v.name)).toEqual(['V1', 'V2', 'V3']);
	});

	for (const vector of vectors) {
		it(`${vector.name}: builds and parses the ${vector.policy} inner id byte for byte`, () => {
			const build = vector.policy === 'owner' ? ownerInnerId : allowlistInnerId;
			const inner = build(vector.prefix, fromHex(vector.nonce));
			expect(toHex(inner)).toBe(vector.innerId);
			const parsed =
				vector.policy === 'owner'
					? parseOwnerInnerId(vector.innerId)
					: parseAllowlistInnerId(vector.innerId);
			const prefix = 'owner' in parsed ? parsed.owner : parsed.allowlistId;
			expect(prefix).toBe(vector.prefix);
			expect(toHex(parsed.nonce)).toBe(vector.nonce);
		});
	}

	it('the Move tests carry the same inner ids (move/tests/*.move)', () => {
		const dir = new URL('../../move/tests/', import.meta.url);
		const move = readdirSync(dir)
			.filter((file) => file.endsWith('.move'))
			.map((file) => readFileSync(new URL(file, dir), 'utf8'))
			.join('\n');
		for (const vector of vectors) expect(move).toContain(`x"${vector.innerId}"`);
	});

	it('V2: omitting the nonce is the same as an empty nonce', () => {
		const v2 = vectors[1] as Vector;
		expect(toHex(ownerInnerId(v2.prefix))).toBe(v2.innerId);
	});
});

describe('hex', () => {
	it('toHex has no 0x and is lowercase', () => {
		expect(toHex(new Uint8Array([0xab, 0x01]))).toBe('ab01');
	});

	it('toHex respects views into larger buffers', () => {
		const backing = new Uint8Array([1, 2, 3, 4]);
		expect(toHex(backing.subarray(1, 3))).toBe('0203');
	});

	it('fromHex accepts an optional lowercase 0x and mixed-case digits', () => {
		expect(Array.from(fromHex('0xABcd'))).toEqual([0xab, 0xcd]);
		expect(Array.from(fromHex('abcd'))).toEqual([0xab, 0xcd]);
		expect(fromHex('').length).toBe(0);
		expect(fromHex('0x').length).toBe(0);
	});

	for (const bad of ['0Xab', 'abc', '0xabc', 'zz', '0x0x00', ' ab', 'ab ']) {
		it(`fromHex rejects ${JSON.stringify(bad)} with InvalidInputError`, () => {
			expect(() => fromHex(bad, 'field')).toThrow(InvalidInputError);
		});
	}
});

describe('normalizeObjectId', () => {
	const id = `0x${'Ab'.repeat(32)}`;
	it('lowercases a full 0x + 64 hex id', () => {
		expect(normalizeObjectId(id)).toBe(id.toLowerCase());
	});
	for (const bad of [
		'0x2',
		'ab'.repeat(32),
		`0X${'ab'.repeat(32)}`,
		`0x${'ab'.repeat(33)}`,
		`0x${'g'.repeat(64)}`,
	]) {
		it(`rejects ${bad.slice(0, 12)}… (len ${bad.length}) naming the field`, () => {
			expect(() => normalizeObjectId(bad, 'seal.policyPackage')).toThrowError(
				/seal\.policyPackage/,
			);
			expect(() => normalizeObjectId(bad)).toThrow(InvalidInputError);
		});
	}
});

describe('inner ids and full identity', () => {
	const list = `0x${'11'.repeat(32)}`;
	const pkg = `0x${'22'.repeat(32)}`;

	it('fullIdentity = package bytes ‖ inner id', () => {
		const inner = allowlistInnerId(list, new Uint8Array([9, 8]));
		expect(toHex(fullIdentity(pkg, inner))).toBe(`${'22'.repeat(32)}${'11'.repeat(32)}0908`);
	});

	it('parse rejects inner ids shorter than 32 bytes', () => {
		expect(() => parseAllowlistInnerId(new Uint8Array(31))).toThrow(InvalidInputError);
		expect(() => parseOwnerInnerId('00'.repeat(31))).toThrow(InvalidInputError);
	});

	it('builders reject malformed ids', () => {
		expect(() => allowlistInnerId('0x11')).toThrow(InvalidInputError);
		expect(() => ownerInnerId(list.toUpperCase())).toThrow(InvalidInputError);
	});

	it('randomNonce gives the requested length and differs between calls', () => {
		expect(randomNonce().length).toBe(16);
		expect(randomNonce(5).length).toBe(5);
		expect(toHex(randomNonce())).not.toBe(toHex(randomNonce()));
		expect(() => randomNonce(-1)).toThrow(InvalidInputError);
	});
});

describe('boundaries a mutation run found unchecked', () => {
	const hex64 = 'ab'.repeat(32);

	it('the id pattern is anchored at both ends and takes only strings', () => {
		for (const bad of [
			`zz0x${hex64}`,
			`x0x${hex64}`,
			` 0x${hex64}`,
			`0x${hex64}zz`,
			`0x${hex64}\n`,
		]) {
			expect(() => normalizeObjectId(bad, 'f'), JSON.stringify(bad)).toThrow(InvalidInputError);
		}
		for (const bad of [123, null, undefined, { toString: () => `0x${hex64}` }]) {
			expect(() => normalizeObjectId(bad as unknown as string, 'f')).toThrow(InvalidInputError);
		}
		expect(normalizeObjectId(`0x${hex64}`)).toBe(`0x${hex64}`);
	});

	it('the hex pattern is anchored at both ends', () => {
		for (const bad of ['zzab', 'abzz', 'a z0', '0xabzz', '0xzzab', 'ab\n0']) {
			expect(() => fromHex(bad), JSON.stringify(bad)).toThrow(InvalidInputError);
		}
		expect(() => fromHex('abc', 'myField')).toThrow(/^myField: .*even number of digits \(got 3\)/);
		expect(() => fromHex('zz', 'myField')).toThrow(/^myField: not hex/);
		expect(() => fromHex('zz')).toThrow(/^hex: /);
		expect(() => normalizeObjectId('0x2')).toThrow(/^id: /);
		expect(() => objectIdBytes('0x2')).toThrow(/^id: /);
		expect(Array.from(objectIdBytes(`0x${'0A'.repeat(32)}`))).toEqual(new Array(32).fill(10));
	});

	it('a 0x prefix is stripped only at the start', () => {
		expect(() => fromHex('ab0x')).toThrow(InvalidInputError);
		expect(Array.from(fromHex('0x0a'))).toEqual([0x0a]);
	});

	it('randomNonce accepts exactly the integers 0..1024', () => {
		expect(randomNonce(0).length).toBe(0);
		expect(randomNonce(1024).length).toBe(1024);
		for (const bad of [1025, -1, 1.5, Number.NaN]) {
			expect(() => randomNonce(bad), String(bad)).toThrow(/^nonce length: /);
		}
	});

	it('an inner id of exactly 32 bytes has an empty nonce; 31 bytes names the length', () => {
		const parsed = parseOwnerInnerId(new Uint8Array(32).fill(7));
		expect(parsed.owner).toBe(`0x${'07'.repeat(32)}`);
		expect(parsed.nonce).toEqual(new Uint8Array());
		expect(() => parseAllowlistInnerId(new Uint8Array(31))).toThrow(
			/^allowlist inner id: must be at least 32 bytes .* got 31$/,
		);
		expect(() => parseOwnerInnerId('zz'.repeat(40))).toThrow(/^owner inner id: not hex/);
	});

	it('the nonce is a copy, not a view into the caller’s bytes', () => {
		const bytes = new Uint8Array(34).fill(1);
		const { nonce } = parseAllowlistInnerId(bytes);
		bytes[33] = 9;
		expect(Array.from(nonce)).toEqual([1, 1]);
	});

	it('builders name the id they rejected', () => {
		expect(() => allowlistInnerId('0x11')).toThrow(/^allowlistId: /);
		expect(() => ownerInnerId('0x11')).toThrow(/^owner: /);
		expect(() => fullIdentity('0x11', new Uint8Array())).toThrow(/^packageId: /);
	});
});
