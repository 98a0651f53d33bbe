import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { decodeSuiPrivateKey, type Keypair } from '@mysten/sui/cryptography';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Secp256k1Keypair } from '@mysten/sui/keypairs/secp256k1';
import { Secp256r1Keypair } from '@mysten/sui/keypairs/secp256r1';
import { toBase64 } from '@mysten/sui/utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { SignerError } from '../../../ts/chain/errors.js';
import { loadSigner } from '../../../ts/chain/signer.js';

let home: string;
beforeEach(async () => {
	home = await mkdtemp(join(tmpdir(), 'signer-'));
});
afterEach(async () => {
	await rm(home, { recursive: true, force: true });
});

/** The Sui CLI keystore form of a key: base64(flag || 32-byte secret). */
function keystoreEntry(keypair: Keypair): string {
	const { secretKey } = decodeSuiPrivateKey(keypair.getSecretKey());
	const flag = { ED25519: 0, Secp256k1: 1, Secp256r1: 2 }[keypair.getKeyScheme() as 'ED25519'];
	return toBase64(Uint8Array.from([flag, ...secretKey]));
}

async function writeCliConfig(keys: Keypair[], activeAddress?: string): Promise<string> {
	const configDir = join(home, '.sui', 'sui_config');
	await mkdir(configDir, { recursive: true });
	const keystore = join(configDir, 'sui.keystore');
	await writeFile(keystore, JSON.stringify(keys.map(keystoreEntry)));
	const active = activeAddress === undefined ? '' : `active_address: "${activeAddress}"\n`;
	await writeFile(
		join(configDir, 'client.yaml'),
		`---\nkeystore:\n  File: ${keystore}\nenvs: []\nactive_env: localnet\n${active}`,
	);
	return configDir;
}

describe('loadSigner from SUI_PRIVATE_KEY', () => {
	it.each([
		['ed25519', () => Ed25519Keypair.generate()],
		['secp256k1', () => Secp256k1Keypair.generate()],
		['secp256r1', () => Secp256r1Keypair.generate()],
	])('loads a %s suiprivkey', async (_scheme, generate) => {
		const keypair = generate();
		const signer = await loadSigner({
			env: { SUI_PRIVATE_KEY: keypair.getSecretKey() },
			homeDir: home,
		});
		expect(signer.toSuiAddress()).toBe(keypair.toSuiAddress());
		expect(signer.getKeyScheme()).toBe(keypair.getKeyScheme());
		// The loaded key must still sign (the loader zeroes its transient copies).
		const message = new TextEncoder().encode('hello');
		const { signature } = await signer.signPersonalMessage(message);
		expect(await keypair.getPublicKey().verifyPersonalMessage(message, signature)).toBe(true);
	});

	it('prefers SUI_PRIVATE_KEY over a keystore', async () => {
		const fromEnv = Ed25519Keypair.generate();
		const inKeystore = Ed25519Keypair.generate();
		await writeCliConfig([inKeystore], inKeystore.toSuiAddress());
		const signer = await loadSigner({
			env: { SUI_PRIVATE_KEY: fromEnv.getSecretKey() },
			homeDir: home,
		});
		expect(signer.toSuiAddress()).toBe(fromEnv.toSuiAddress());
	});

	it('rejects a malformed key without echoing it', async () => {
		const secret = 'suiprivkey1qqqqsecretsecretsecret';
		const error = await loadSigner({ env: { SUI_PRIVATE_KEY: secret }, homeDir: home }).catch(
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(SignerError);
		expect((error as Error).message).toContain('SUI_PRIVATE_KEY is not a valid suiprivkey');
		expect((error as Error).message).not.toContain(secret);
		expect(String((error as Error).cause)).not.toContain(secret);
	});
});

describe('loadSigner from the Sui CLI keystore', () => {
	it("picks the key of client.yaml's active_address", async () => {
		const keys = [
			Ed25519Keypair.generate(),
			Secp256k1Keypair.generate(),
			Ed25519Keypair.generate(),
		];
		await writeCliConfig(keys, keys[1]!.toSuiAddress());
		const signer = await loadSigner({ env: {}, homeDir: home });
		expect(signer.toSuiAddress()).toBe(keys[1]!.toSuiAddress());
		expect(signer.getKeyScheme()).toBe('Secp256k1');
		const bytes = new TextEncoder().encode('tx bytes');
		const { signature } = await signer.signTransaction(bytes);
		expect(await keys[1]!.getPublicKey().verifyTransaction(bytes, signature)).toBe(true);
	});

	it('honours SUI_CONFIG_DIR and an explicit keystorePath', async () => {
		const key = Secp256r1Keypair.generate();
		const configDir = await writeCliConfig([key], key.toSuiAddress());
		const moved = join(home, 'elsewhere');
		await rm(moved, { recursive: true, force: true });
		const viaEnv = await loadSigner({ env: { SUI_CONFIG_DIR: configDir }, homeDir: moved });
		expect(viaEnv.toSuiAddress()).toBe(key.toSuiAddress());
		const other = Ed25519Keypair.generate();
		const keystorePath = join(home, 'other.keystore');
		await writeFile(keystorePath, JSON.stringify([keystoreEntry(other)]));
		const viaPath = await loadSigner({ env: {}, homeDir: moved, keystorePath });
		expect(viaPath.toSuiAddress()).toBe(other.toSuiAddress());
	});

	it('uses the only key when no active address is set, and refuses to guess among several', async () => {
		const one = Ed25519Keypair.generate();
		await writeCliConfig([one]);
		expect((await loadSigner({ env: {}, homeDir: home })).toSuiAddress()).toBe(one.toSuiAddress());
		await writeCliConfig([one, Ed25519Keypair.generate()]);
		await expect(loadSigner({ env: {}, homeDir: home })).rejects.toThrow(/names no active_address/);
	});

	it('fails when the active address has no key', async () => {
		await writeCliConfig([Ed25519Keypair.generate()], Ed25519Keypair.generate().toSuiAddress());
		await expect(loadSigner({ env: {}, homeDir: home })).rejects.toThrow(/has no key in/);
	});

	it('rejects malformed keystore entries with a typed error', async () => {
		const configDir = await writeCliConfig([Ed25519Keypair.generate()]);
		await writeFile(
			join(configDir, 'sui.keystore'),
			JSON.stringify([toBase64(new Uint8Array(10))]),
		);
		await expect(loadSigner({ env: {}, homeDir: home })).rejects.toThrow(SignerError);
		await writeFile(join(configDir, 'sui.keystore'), 'not json');
		await expect(loadSigner({ env: {}, homeDir: home })).rejects.toThrow(/not a JSON array/);
	});

	it('says what to set when there is no key anywhere', async () => {
		const error = await loadSigner({ env: {}, homeDir: home }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(SignerError);
		expect((error as Error).message).toMatch(/set SUI_PRIVATE_KEY/);
		expect((error as Error).message).toMatch(/sui client/);
	});
});
