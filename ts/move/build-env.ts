/**
 * The environment a Move build is for, and how the `sui` CLI is told about it.
 *
 * Sui's package manager (Sui >= 1.63) resolves dependencies per environment. testnet and mainnet
 * are built in (move-package-alt DESIGN.md: "these two environments ... are added implicitly");
 * any other chain is unknown to a manifest that does not declare it, and `sui move build|test`
 * stops with "Could not determine the correct dependencies to use for `devnet`; pass one of
 * `--build-env testnet` or `--build-env mainnet`"
 * (MystenLabs/sui crates/sui/tests/shell_tests/env_error/no_env_build.snap @ 23ccee61).
 * A localnet or devnet is therefore built as Sui's ephemeral publications are: with
 * `--build-env testnet` (the framework packages live at the same addresses on every chain) and
 * the addresses of that chain in an ephemeral publication file `--pubfile-path Pub.<env>.toml`
 * whose `build-env = "testnet"` and `chain-id` is the local chain's
 * (crates/sui/tests/shell_tests/with_network/ephemeral/ephemeral_publish.snap @ 726817eb,
 * `sui client test-publish --build-env testnet --pubfile-path …`; ephemeral_dump/
 * dump_with_pubfile.snap @ 086bf8a2; the ts-sdks e2e setup builds the same way, MystenLabs/ts-sdks
 * packages/sui/test/e2e/utils/setup.ts @ 03fe26bf). move/Move.toml is never edited.
 */
import { fromBase58, toHex } from '@mysten/bcs';

import { InvalidInputError } from '../errors.js';
import { NETWORKS } from '../chain/networks.js';

/** Chain ids of Sui's built-in environments (short form, as Move.toml and Published.toml hold). */
export const PUBLIC_CHAIN_IDS = { testnet: '4c78adac', mainnet: '35834a8a' } as const;
export type PublicNetwork = keyof typeof PUBLIC_CHAIN_IDS;

export interface BuildEnvironment {
	/** The network: Published.toml's `[published.<name>]` table, or the file Pub.<name>.toml. */
	readonly name: string;
	/** What `--build-env` names: `name` for testnet/mainnet, `testnet` for an ephemeral chain. */
	readonly buildEnv: PublicNetwork;
	/** Short chain id (8 hex digits). */
	readonly chainId: string;
	/** True for chains Sui does not know (localnet, devnet): addresses live in Pub.<name>.toml. */
	readonly ephemeral: boolean;
	/** The full node the build's private client config points at. */
	readonly rpcUrl: string;
}

/** The `--build-env` of every ephemeral chain (Sui's own ephemeral tests use testnet too). */
export const EPHEMERAL_BUILD_ENV: PublicNetwork = 'testnet';

const ENV_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

export function isPublicNetwork(network: string): network is PublicNetwork {
	return Object.hasOwn(PUBLIC_CHAIN_IDS, network);
}

/**
 * The build environment for `network`. testnet/mainnet are Sui's own; every other network
 * needs `chainIdentifier` (the node's, in either form the SDK returns). A testnet/mainnet node
 * that serves another chain is refused: building and recording for the wrong chain would put
 * a false entry in Published.toml. `rpcUrl` defaults to the network's preset.
 */
export function buildEnvironment(
	network: string,
	chainIdentifier?: string,
	rpcUrl?: string,
): BuildEnvironment {
	if (!ENV_NAME.test(network)) {
		throw new InvalidInputError('network', `'${network}' is not a valid environment name`);
	}
	const chainId = chainIdentifier === undefined ? undefined : moveChainId(chainIdentifier);
	const url =
		rpcUrl ??
		(Object.hasOwn(NETWORKS, network)
			? NETWORKS[network as keyof typeof NETWORKS].rpcUrl
			: undefined);
	if (url === undefined) {
		throw new InvalidInputError(
			'rpcUrl',
			`${network} has no preset full node: building for it needs the URL of its node (SUI_RPC_URL)`,
		);
	}
	if (isPublicNetwork(network)) {
		const expected = PUBLIC_CHAIN_IDS[network];
		if (chainId !== undefined && chainId !== expected) {
			throw new InvalidInputError(
				'network',
				`the node serves chain ${chainId}, but ${network} is chain ${expected}; point SUI_RPC_URL at a ${network} full node or choose the network that node belongs to`,
			);
		}
		return { name: network, buildEnv: network, chainId: expected, ephemeral: false, rpcUrl: url };
	}
	if (chainId === undefined) {
		throw new InvalidInputError(
			'chainId',
			`${network} is not one of Sui's built-in environments (testnet, mainnet): building for it needs the chain id of its node (\`sui client chain-identifier\`)`,
		);
	}
	return { name: network, buildEnv: EPHEMERAL_BUILD_ENV, chainId, ephemeral: true, rpcUrl: url };
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
	return ['--build-env', environment.buildEnv];
}
