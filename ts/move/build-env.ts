/**
 * The environment a Move build is for, and how the `sui` CLI is told about it.
 *
 * Sui's package manager (Sui >= 1.63) resolves dependencies per environment. testnet and mainnet
 * are built in (move-package-alt DESIGN.md: "these two environments ... are added implicitly");
 * any other chain must be declared in Move.toml as `[environments] <name> = "<chain id>"`, or
 * `sui move build|test` stops with "Could not determine the correct dependencies to use for
 * `devnet`; pass one of `--build-env testnet` or `--build-env mainnet`"
 * (MystenLabs/sui crates/sui/tests/shell_tests/env_error/no_env_build.snap @ 23ccee61).
 * A localnet's or devnet's chain id is known only at run time, so those builds run on a
 * temporary copy of the package whose Move.toml gains that entry, as Sui's own localnet shell
 * tests do (crates/sui/tests/shell_tests/with_network/publish_upgrade/publish.sh @ 0452dcbd,
 * `add_env_to_toml`) and Seal's localnet runbook says (MystenLabs/seal
 * docs/content/KeyServerOps.mdx @ ddc7e5d6, "Running on localnet", step 2). move/Move.toml itself
 * is never edited.
 */
import { fromBase58, toHex } from '@mysten/bcs';

import { InvalidInputError } from '../errors.js';

/** Chain ids of Sui's built-in environments (short form, as Move.toml and Published.toml hold). */
export const PUBLIC_CHAIN_IDS = { testnet: '4c78adac', mainnet: '35834a8a' } as const;
export type PublicNetwork = keyof typeof PUBLIC_CHAIN_IDS;

export interface BuildEnvironment {
	/** Environment name passed as `--build-env` (and, if ephemeral, declared in the copy). */
	readonly name: string;
	/** Short chain id (8 hex digits). */
	readonly chainId: string;
	/** True for chains Sui does not know (localnet, devnet): built from a temporary copy. */
	readonly ephemeral: boolean;
}

const ENV_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

export function isPublicNetwork(network: string): network is PublicNetwork {
	return Object.hasOwn(PUBLIC_CHAIN_IDS, network);
}

/**
 * The build environment for `network`. testnet/mainnet are Sui's own; every other network
 * needs `chainIdentifier` (the node's, in either form the SDK returns). A testnet/mainnet node
 * that serves another chain is refused: building and recording for the wrong chain would put
 * a false entry in Published.toml.
 */
export function buildEnvironment(network: string, chainIdentifier?: string): BuildEnvironment {
	if (!ENV_NAME.test(network)) {
		throw new InvalidInputError('network', `'${network}' is not a valid environment name`);
	}
	const chainId = chainIdentifier === undefined ? undefined : moveChainId(chainIdentifier);
	if (isPublicNetwork(network)) {
		const expected = PUBLIC_CHAIN_IDS[network];
		if (chainId !== undefined && chainId !== expected) {
			throw new InvalidInputError(
				'network',
				`the node serves chain ${chainId}, but ${network} is chain ${expected}; point SUI_RPC_URL at a ${network} full node or choose the network that node belongs to`,
			);
		}
		return { name: network, chainId: expected, ephemeral: false };
	}
	if (chainId === undefined) {
		throw new InvalidInputError(
			'chainId',
			`${network} is not one of Sui's built-in environments (testnet, mainnet): building for it needs the chain id of its node (\`sui client chain-identifier\`)`,
		);
	}
	return { name: network, chainId, ephemeral: true };
}

/**
 * The chain id as Move.toml and Published.toml write it: the first 4 bytes of the genesis
 * checkpoint digest in hex. gRPC reports the whole digest in base58; JSON-RPC the short form.
 */
export function moveChainId(chainIdentifier: string): string {
	const id = chainIdentifier.trim();
	if (/^[0-9a-f]{8}$/.test(id)) return id;
	let digest: Uint8Array | undefined;
	try {
		digest = fromBase58(id);
	} catch {
		digest = undefined;
	}
	if (digest?.length !== 32) {
		throw new InvalidInputError(
			'chainId',
			`'${chainIdentifier}' is neither a short chain id (8 hex digits) nor a base58 checkpoint digest`,
		);
	}
	return toHex(digest.slice(0, 4));
}

/** The `sui` arguments that name the environment (both `move build` and `move test` take it). */
export function buildEnvArgs(environment: BuildEnvironment): string[] {
	return ['--build-env', environment.name];
}

/**
 * `toml` with `[environments] <name> = "<chainId>"`: added to an existing `[environments]` table
 * or appended as a new one; an existing entry for `name` is replaced.
 */
export function manifestWithEnvironment(toml: string, name: string, chainId: string): string {
	if (!ENV_NAME.test(name)) {
		throw new InvalidInputError('network', `'${name}' is not a valid environment name`);
	}
	const short = moveChainId(chainId);
	const entry = `${name} = "${short}"`;
	const lines = toml.replace(/\s+$/, '').split('\n');
	const header = lines.findIndex((line) => /^\s*\[environments\]\s*(#.*)?$/.test(line));
	if (header === -1) return `${lines.join('\n')}\n\n[environments]\n${entry}\n`;
	let end = lines.length;
	for (let i = header + 1; i < lines.length; i++) {
		if (/^\s*\[/.test(lines[i] ?? '')) {
			end = i;
			break;
		}
	}
	const key = new RegExp(`^\\s*"?${name}"?\\s*=`);
	const body = lines.slice(header + 1, end).filter((line) => !key.test(line));
	return `${[...lines.slice(0, header + 1), entry, ...body, ...lines.slice(end)].join('\n')}\n`;
}
