/**
 * Loads the transaction signer: `SUI_PRIVATE_KEY` (a `suiprivkey…` string, as printed by
 * `sui keytool export`) or else the Sui CLI keystore's active address. Keys are never printed,
 * logged or put in an error message.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { decodeSuiPrivateKey, type Keypair } from '@mysten/sui/cryptography';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Secp256k1Keypair } from '@mysten/sui/keypairs/secp256k1';
import { Secp256r1Keypair } from '@mysten/sui/keypairs/secp256r1';
import { fromBase64, normalizeSuiAddress } from '@mysten/sui/utils';
import { parse as parseYaml } from 'yaml';

import { SignerError } from './errors.js';
import type { Logger } from '../logger.js';

/** Environment variables this module reads (from the `env` passed in, never `process.env`). */
export interface SignerEnv {
	/** `suiprivkey1…` (ed25519, secp256k1 or secp256r1). */
	SUI_PRIVATE_KEY?: string | undefined;
	/** The Sui CLI config dir (default `~/.sui/sui_config`), as the CLI itself honours it. */
	SUI_CONFIG_DIR?: string | undefined;
}

export interface LoadSignerOptions {
	env: SignerEnv;
	/** Keystore file; default: `client.yaml`'s `keystore.File`, else `<config dir>/sui.keystore`. */
	keystorePath?: string;
	/** `client.yaml` holding `active_address`; default `<config dir>/client.yaml`. */
	clientConfigPath?: string;
	/** Home directory used for the default config dir (tests pass a temp dir). */
	homeDir?: string;
	logger?: Logger;
	/** Where `SUI_PRIVATE_KEY` was read (`env`, `.env`), named in errors and the debug line. */
	privateKeySource?: string;
}

const SET_UP_HINT =
	'set SUI_PRIVATE_KEY to a suiprivkey… key (`sui keytool export --key-identity <address>`), ' +
	'or set up the Sui CLI (`sui client`) so that ~/.sui/sui_config has a keystore and an active address';

/** Returns the signer named by `SUI_PRIVATE_KEY`, else the Sui CLI keystore's active address. */
export async function loadSigner({
	env,
	keystorePath,
	clientConfigPath,
	homeDir = homedir(),
	logger,
	privateKeySource,
}: LoadSignerOptions): Promise<Keypair> {
	const fromEnv = env.SUI_PRIVATE_KEY?.trim();
	if (fromEnv) {
		const label = `SUI_PRIVATE_KEY${privateKeySource ? ` (from ${privateKeySource})` : ''}`;
		const signer = keypairFromSuiPrivateKey(fromEnv, label);
		logger?.debug(`signer: ${signer.toSuiAddress()} (from ${label})`);
		return signer;
	}
	const configDir = env.SUI_CONFIG_DIR?.trim() || join(homeDir, '.sui', 'sui_config');
	const clientYaml = clientConfigPath ?? join(configDir, 'client.yaml');
	const clientConfig = await readClientConfig(clientYaml);
	const keystore = keystorePath ?? clientConfig?.keystorePath ?? join(configDir, 'sui.keystore');
	const signer = await keypairFromKeystore(keystore, clientConfig?.activeAddress);
	logger?.debug(`signer: ${signer.toSuiAddress()} (from the Sui CLI keystore ${keystore})`);
	return signer;
}

/** Decodes a `suiprivkey…` string. `source` names where it came from, for the error message. */
export function keypairFromSuiPrivateKey(value: string, source = 'private key'): Keypair {
	let parsed: ReturnType<typeof decodeSuiPrivateKey>;
	try {
		parsed = decodeSuiPrivateKey(value);
	} catch {
		// No cause: the bech32 decoder's message quotes the input, i.e. the secret.
		throw new SignerError(
			`${source} is not a valid suiprivkey… string; export one with \`sui keytool export --key-identity <address>\``,
		);
	}
	return keypairFromScheme(parsed.scheme, parsed.secretKey, source);
}

/** The keypair keeps its own copy (the SDK stores the array it is given); ours is zeroed. */
function keypairFromScheme(scheme: string, secretKey: Uint8Array, source: string): Keypair {
	try {
		switch (scheme) {
			case 'ED25519':
				return Ed25519Keypair.fromSecretKey(secretKey.slice());
			case 'Secp256k1':
				return Secp256k1Keypair.fromSecretKey(secretKey.slice());
			case 'Secp256r1':
				return Secp256r1Keypair.fromSecretKey(secretKey.slice());
		}
	} catch {
		throw new SignerError(`${source}: the ${scheme} secret key is malformed`);
	} finally {
		secretKey.fill(0);
	}
	throw new SignerError(
		`${source}: signature scheme ${scheme} cannot sign here; use an ed25519, secp256k1 or secp256r1 key`,
	);
}

interface ClientConfig {
	activeAddress: string | undefined;
	keystorePath: string | undefined;
}

/** Reads `active_address` and `keystore.File` from the Sui CLI's client.yaml. */
async function readClientConfig(path: string): Promise<ClientConfig | undefined> {
	let text: string;
	try {
		text = await readFile(path, 'utf8');
	} catch (error) {
		// No client.yaml: fall back to the default keystore path and its only key.
		if (isNotFound(error)) return undefined;
		throw new SignerError(`cannot read ${path}: ${(error as Error).message}`);
	}
	let doc: unknown;
	try {
		doc = parseYaml(text);
	} catch (error) {
		throw new SignerError(`${path} is not valid YAML; fix it or ${SET_UP_HINT}`, { cause: error });
	}
	if (!isRecord(doc)) return { activeAddress: undefined, keystorePath: undefined };
	const active = doc['active_address'];
	const keystore = doc['keystore'];
	const file = isRecord(keystore) ? keystore['File'] : undefined;
	return {
		activeAddress: typeof active === 'string' && active ? normalizeSuiAddress(active) : undefined,
		keystorePath: typeof file === 'string' && file ? file : undefined,
	};
}

/**
 * The Sui CLI keystore is a JSON array of base64 `flag || 32-byte secret` strings. Picks the
 * entry whose address is `activeAddress`, or the only entry when no active address is set.
 */
async function keypairFromKeystore(
	path: string,
	activeAddress: string | undefined,
): Promise<Keypair> {
	let text: string;
	try {
		text = await readFile(path, 'utf8');
	} catch (error) {
		if (isNotFound(error)) throw new SignerError(`no signer found: ${SET_UP_HINT}`);
		throw new SignerError(`cannot read keystore ${path}: ${(error as Error).message}`);
	}
	let entries: unknown;
	try {
		entries = JSON.parse(text);
	} catch {
		throw new SignerError(`keystore ${path} is not a JSON array of keys; ${SET_UP_HINT}`);
	}
	if (!Array.isArray(entries) || entries.length === 0) {
		throw new SignerError(`keystore ${path} holds no keys; ${SET_UP_HINT}`);
	}
	const keypairs = entries.map((entry, index) => keystoreEntry(entry, `${path} entry ${index}`));
	if (activeAddress === undefined) {
		if (keypairs.length === 1 && keypairs[0]) return keypairs[0];
		throw new SignerError(
			`keystore ${path} holds ${keypairs.length} keys and client.yaml names no active_address; ` +
				'run `sui client switch --address <address>` or set SUI_PRIVATE_KEY',
		);
	}
	const match = keypairs.find((keypair) => keypair.toSuiAddress() === activeAddress);
	if (!match) {
		throw new SignerError(
			`the active address ${activeAddress} has no key in ${path}; ` +
				'run `sui client switch --address <address>` or set SUI_PRIVATE_KEY',
		);
	}
	return match;
}

function keystoreEntry(entry: unknown, source: string): Keypair {
	if (typeof entry !== 'string') throw new SignerError(`${source} is not a string`);
	if (entry.startsWith('suiprivkey')) return keypairFromSuiPrivateKey(entry, source);
	let bytes: Uint8Array;
	try {
		bytes = fromBase64(entry);
	} catch {
		throw new SignerError(`${source} is not base64`);
	}
	if (bytes.length !== 33) {
		bytes.fill(0);
		throw new SignerError(`${source} has ${bytes.length} bytes; expected flag || 32-byte secret`);
	}
	const scheme = flagToScheme(bytes[0] ?? -1);
	const secret = bytes.slice(1);
	bytes.fill(0);
	return keypairFromScheme(scheme, secret, source);
}

function flagToScheme(flag: number): string {
	switch (flag) {
		case 0:
			return 'ED25519';
		case 1:
			return 'Secp256k1';
		case 2:
			return 'Secp256r1';
		default:
			return `flag ${flag}`;
	}
}

function isNotFound(error: unknown): boolean {
	return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
