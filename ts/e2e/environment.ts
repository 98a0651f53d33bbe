/**
 * What an end-to-end run needs, for localnet (a running `localnet up` stack) or testnet
 * (configured key servers and a funded SUI_PRIVATE_KEY). Both the `e2e` command and the vitest
 * e2e suites build one of these and then run the same steps.
 */
import { resolve } from 'node:path';
import type { Keypair } from '@mysten/sui/cryptography';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { loadConfig } from '../config.js';
import { type KeyServerEntry, type NetworkName } from '../chain/networks.js';
import { readDeployment } from '../chain/deployments.js';
import { HarnessError, PrerequisiteMissingError } from '../errors.js';
import { localnetPaths } from '../localnet/paths.js';
import { isAlive } from '../localnet/processes.js';
import { localnetServerEntries } from '../localnet/servers.js';
import { readLocalnetState } from '../localnet/state.js';
import { fundFromFaucet } from '../localnet/up.js';
import type { Logger } from '../logger.js';
import { publishAndRecord } from '../move/publish.js';
import { resolveThreshold } from '../seal/client.js';
import type { KeyAccessRecorder } from '../seal/key-access-audit.js';
import { resolvePolicyPackage, type PolicyPackageIds } from '../seal/packages.js';
import { loadSigner } from '../chain/signer.js';
import { createSuiClient, type SuiClient } from '../chain/sui-client.js';

export interface E2eEnvironment {
	network: NetworkName;
	rpcUrl: string;
	client: SuiClient;
	servers: KeyServerEntry[];
	threshold: number;
	packages: PolicyPackageIds;
	/** Funded account that creates allowlists and manages members. */
	admin: Keypair;
	/** Gives a fresh account gas (localnet faucet); undefined where we must not (testnet). */
	fund: ((address: string) => Promise<void>) | undefined;
	/** Mysten's Seal package on this network (staleness check, registering extra servers). */
	sealPackageId: string | undefined;
	/** How the policy package came to be (for the report). */
	publishNote: string;
	logger: Logger;
	/** Access log for every key fetch of the steps (the flow sets one and verifies it). */
	audit?: KeyAccessRecorder;
}

/** Why the localnet tier cannot run here, or undefined when a stack is up. */
export async function localnetUnavailable(
	root: string,
	env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
	const { findSuiBinary } = await import('../move/sui-binary.js');
	let sui: string | undefined;
	try {
		sui = findSuiBinary(env);
	} catch (error) {
		return (error as Error).message;
	}
	if (sui === undefined) return 'no `sui` binary (SUI_BIN, `seal-policies sui install`, or PATH)';
	const state = await readLocalnetState(localnetPaths(root).stateFile);
	if (state?.node.pid === undefined || !isAlive(state.node.pid)) return 'no running localnet stack';
	return undefined;
}

/** The environment of the running localnet stack under `root` (started by `localnet up`). */
export async function localnetEnvironment(options: {
	root: string;
	logger: Logger;
}): Promise<E2eEnvironment> {
	const paths = localnetPaths(options.root);
	const state = await readLocalnetState(paths.stateFile);
	if (
		state?.node.pid === undefined ||
		!isAlive(state.node.pid) ||
		state.policyPackageId === undefined
	) {
		throw new PrerequisiteMissingError(
			'localnet',
			'no running localnet stack here; run `seal-policies localnet up` first',
		);
	}
	const client = createSuiClient({ network: 'localnet', rpcUrl: state.rpcUrl });
	const record = await readDeployment(resolve(options.root, 'deployments'), 'localnet');
	const latestId =
		record?.originalPackageId === state.policyPackageId
			? record.latestPackageId
			: state.policyPackageId;
	const fund = (address: string) => fundFromFaucet({ client, faucetUrl: state.faucetUrl, address });
	const admin = Ed25519Keypair.generate();
	await fund(admin.toSuiAddress());
	// Independent servers, the committee (object id + aggregatorUrl) and the permissioned client.
	const servers = localnetServerEntries(state);
	return {
		network: 'localnet',
		rpcUrl: state.rpcUrl,
		client,
		servers,
		threshold: state.threshold,
		packages: { originalId: state.policyPackageId, latestId, source: 'deployment' },
		admin,
		fund,
		sealPackageId: state.sealPackageId,
		publishNote: `published by localnet up: ${state.policyPackageId}`,
		logger: options.logger,
	};
}

/**
 * Mysten's testnet committee key server (3-of-5 behind Mysten's aggregator, no API key):
 * docs/content/Pricing.mdx and UsingSeal.mdx at MystenLabs/seal seal-v0.6.10.
 */
export const TESTNET_COMMITTEE_SERVER: Readonly<KeyServerEntry> = Object.freeze({
	objectId: '0xb012378c9f3799fb5b1a7083da74a4069e3c3f1c93de0b27212a5799ce1e1e98',
	weight: 1,
	aggregatorUrl: 'https://seal-aggregator-testnet.mystenlabs.com',
});

/** Why the testnet tier cannot run, or undefined when it can. */
export function testnetUnavailable(env: NodeJS.ProcessEnv): string | undefined {
	if (env['SEAL_E2E_TESTNET'] !== '1')
		return 'SEAL_E2E_TESTNET is not 1 (opt-in: it spends testnet gas)';
	if (!env['SUI_PRIVATE_KEY']) return 'SUI_PRIVATE_KEY is not set (a funded testnet key)';
	return undefined;
}

/**
 * Testnet: configured key servers (default: Mysten's two open servers, 2-of-2), the signer from
 * SUI_PRIVATE_KEY, and the recorded policy package — published first when there is none.
 */
export async function testnetEnvironment(options: {
	root: string;
	env: NodeJS.ProcessEnv;
	logger: Logger;
	/** Servers and threshold to use instead of the configured ones (e.g. the committee). */
	servers?: { servers: readonly KeyServerEntry[]; threshold: number } | undefined;
}): Promise<E2eEnvironment> {
	// Running the e2e command is the opt-in; the test tier also requires SEAL_E2E_TESTNET=1.
	if (!options.env['SUI_PRIVATE_KEY']) {
		throw new PrerequisiteMissingError(
			'testnet',
			'SUI_PRIVATE_KEY is not set: export a funded testnet key (suiprivkey…; `sui keytool export`)',
		);
	}
	const config = loadConfig({
		env: { ...options.env, SUI_NETWORK: 'testnet' },
		cwd: options.root,
		requireSeal: true,
	});
	const client = createSuiClient({ network: 'testnet', rpcUrl: config.rpcUrl });
	const admin = await loadSigner({ env: options.env, logger: options.logger });
	const deploymentsDir = resolve(options.root, 'deployments');
	let packages: PolicyPackageIds;
	let publishNote: string;
	try {
		packages = await resolvePolicyPackage(config, deploymentsDir);
		publishNote = `using the recorded package ${packages.originalId}`;
	} catch (error) {
		if (!(error instanceof HarnessError)) throw error;
		const published = await publishAndRecord({
			client,
			signer: admin,
			network: 'testnet',
			packagePath: resolve(options.root, 'move'),
			deploymentsDir,
			env: options.env,
			rpcUrl: config.rpcUrl,
			logger: options.logger,
		});
		packages = {
			originalId: published.record.originalPackageId,
			latestId: published.record.latestPackageId,
			source: 'deployment',
		};
		publishNote = `published ${packages.originalId}`;
	}
	return {
		network: 'testnet',
		rpcUrl: config.rpcUrl,
		client,
		servers: [...(options.servers?.servers ?? config.seal.servers)],
		threshold: options.servers
			? resolveThreshold(options.servers.servers, options.servers.threshold)
			: resolveThreshold(config.seal.servers, config.seal.threshold),
		packages,
		admin,
		fund: undefined,
		sealPackageId: undefined,
		publishNote,
		logger: options.logger,
	};
}
