/**
 * Permissioned-mode key derivation and the seal-cli-like commands.
 * Spec: MystenLabs/seal at ddc7e5d6f2e0152d96671a51a4e41a869ddc8e35 —
 * crates/crypto/src/ibe.rs `derive_master_key` and its `test_derive_key_regression` vector;
 * crates/seal-cli/src/main.rs `GenSeed` / `DeriveKey` (`Seed: 0x…`, `Master key: 0x…\nPublic key: 0x…`,
 * `EncodedByteArray<32>` = PrefixedHex, `--index` a u64);
 * fastcrypto 5f87e04b (the seal workspace's pin) `hkdf_sha3_256` and `buffer_to_scalar_mod_r`.
 */
import { describe, expect, it } from 'vitest';
import { command } from '../../../scripts/commands/keyserver.js';
import { createCliIo, type CliIo } from '../../../scripts/cli-io.js';
import { InvalidInputError, UsageError } from '../../../ts/errors.js';
import {
	deriveMasterKey,
	parseDerivationIndex,
	parseSeedHex,
	SEED_LENGTH,
} from '../../../ts/keyserver/derive-key.js';
import { publicKeyFromMasterKey } from '../../../ts/keyserver/keys.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('derive_master_key', () => {
	it('reproduces test_derive_key_regression byte for byte (seed [1; 32], index 42)', () => {
		const key = deriveMasterKey(new Uint8Array(32).fill(1), 42);
		expect(hex(key)).toBe('17d496df95e12b5caec0c4a15b09a5ea41b4fb1cf3ba28f1c6c72556846a6db6');
	});

	it('the index is a u64 (big-endian info): 0 and 2^64-1 work, each index gives its own key', () => {
		const seed = new Uint8Array(32).fill(9);
		const keys = [0n, 1n, 2n ** 32n, 2n ** 64n - 1n].map((i) => hex(deriveMasterKey(seed, i)));
		expect(new Set(keys).size).toBe(4);
		expect(() => deriveMasterKey(seed, 2n ** 64n)).toThrow(InvalidInputError);
		expect(() => deriveMasterKey(seed, -1)).toThrow(InvalidInputError);
		// Another seed, another key.
		expect(hex(deriveMasterKey(new Uint8Array(32).fill(8), 0n))).not.toBe(keys[0]);
	});

	it('needs a 32-byte seed', () => {
		expect(() => deriveMasterKey(new Uint8Array(31), 0)).toThrow(/seed: must be 32 bytes/);
	});

	it('parses seeds as PrefixedHex and indices as u64 text, never echoing the seed', () => {
		const seed = 'Ab'.repeat(SEED_LENGTH);
		expect(hex(parseSeedHex(seed))).toBe('ab'.repeat(32));
		expect(hex(parseSeedHex(`0x${seed}`))).toBe('ab'.repeat(32));
		for (const bad of ['zz'.repeat(32), `0x${'a'.repeat(63)}`, 'ab'.repeat(31), 'ab'.repeat(33)]) {
			let message = '';
			try {
				parseSeedHex(bad, '--seed');
			} catch (error) {
				message = (error as Error).message;
			}
			expect(message).toMatch(/^--seed: /);
			expect(message).not.toContain(bad);
		}
		expect(parseDerivationIndex('18446744073709551615')).toBe(2n ** 64n - 1n);
		for (const bad of ['-1', '1.0', 'x', '', '18446744073709551616']) {
			expect(() => parseDerivationIndex(bad), bad).toThrow(InvalidInputError);
		}
	});
});

function recordingIo(json: boolean) {
	const results: { value: unknown; human: string | undefined }[] = [];
	const logged: string[] = [];
	const io: CliIo = {
		...createCliIo({ json, verbose: false, env: {} }),
		logger: { info: (m) => void logged.push(m), warn: (m) => void logged.push(m), debug: () => {} },
		result: (value, human) => void results.push({ value, human }),
	};
	return { io, results, logged };
}

describe('keyserver gen-seed and derive-key (seal-cli)', () => {
	const seed = `0x${'01'.repeat(32)}`;
	const expectedKey = '0x17d496df95e12b5caec0c4a15b09a5ea41b4fb1cf3ba28f1c6c72556846a6db6';
	const expectedPk = `0x${hex(publicKeyFromMasterKey(Buffer.from(expectedKey.slice(2), 'hex')))}`;

	it('gen-seed prints `Seed: 0x<64 hex>`, a fresh one each time', async () => {
		const a = recordingIo(false);
		expect(await command.run(['gen-seed'], a.io)).toBe(0);
		const b = recordingIo(false);
		await command.run(['gen-seed'], b.io);
		expect(a.results[0]!.human).toMatch(/^Seed: 0x[0-9a-f]{64}$/);
		expect(a.results[0]!.value).toEqual({ seed: a.results[0]!.human!.slice(6) });
		expect(a.results[0]!.human).not.toBe(b.results[0]!.human);
	});

	it('derive-key prints only the public key; the master key only with --show-master-key', async () => {
		const plain = recordingIo(false);
		expect(await command.run(['derive-key', '--seed', seed, '--index', '42'], plain.io)).toBe(0);
		expect(plain.results[0]!.human).toBe(`Public key: ${expectedPk}`);
		expect(plain.results[0]!.value).toEqual({ index: '42', publicKey: expectedPk });
		expect(JSON.stringify(plain.results)).not.toContain(expectedKey.slice(2));
		expect(plain.logged).toEqual([]);

		const shown = recordingIo(true);
		await command.run(
			['derive-key', '--seed', seed, '--index', '42', '--show-master-key'],
			shown.io,
		);
		// seal-cli derive-key's own output form.
		expect(shown.results[0]!.human).toBe(`Master key: ${expectedKey}\nPublic key: ${expectedPk}`);
		expect(shown.results[0]!.value).toEqual({
			index: '42',
			publicKey: expectedPk,
			masterKey: expectedKey,
		});
		expect(shown.logged).toEqual([]);
	});

	const usage: [string[], RegExp][] = [
		[['derive-key', '--index', '0'], /^--seed: is required/],
		[['derive-key', '--seed', seed], /^--index: is required/],
		[['derive-key', '--seed', 'ab', '--index', '0'], /^--seed: must be 32 bytes/],
		[['derive-key', '--seed', 'xyz', '--index', '0'], /^--seed: should be hex encoded/],
		[['derive-key', '--seed', seed, '--index', '-3'], /^--index: expected a non-negative integer/],
		[
			['derive-key', '--seed', seed, '--index', '18446744073709551616'],
			/^--index: must be at most/,
		],
		[['derive-key', '--seed', seed, '--index', '1', 'extra'], /extra/],
		[['derive-key', '--seed', seed, '--index', '1', '--master-key'], /unknown option/],
		[['gen-seed', 'now'], /^gen-seed: takes no arguments/],
	];
	for (const [args, message] of usage) {
		it(`usage error (exit 2): ${args.join(' ')}`, async () => {
			const { io, results } = recordingIo(false);
			const error = await command.run(args, io).then(
				() => undefined,
				(e: unknown) => e,
			);
			expect(error).toBeInstanceOf(UsageError);
			expect((error as Error).message).toMatch(message);
			expect(results).toEqual([]);
		});
	}

	it('usage documents both commands and that the secret needs a flag', () => {
		expect(command.usageFor?.('gen-seed')).toMatch(/PRINTS THE SECRET SEED/);
		expect(command.usageFor?.('derive-key')).toMatch(/--show-master-key/);
	});
});
