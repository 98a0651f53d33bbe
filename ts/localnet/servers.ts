/**
 * The client side of a localnet stack: the `SealClient` server entries (independent servers and
 * the permissioned client by object id, the committee by object id + `aggregatorUrl`) and the
 * harness config file `up` writes so `SEAL_CONFIG` users get them with their aggregator URL.
 */
import type { KeyServerEntry } from '../chain/networks.js';
import type { LocalnetState } from './state.js';

/** Each server of the stack with weight 1, in the order `up` started them. */
export function localnetServerEntries(state: LocalnetState): KeyServerEntry[] {
	const entries: KeyServerEntry[] = state.keyServers.map((server) => ({
		objectId: server.objectId,
		weight: 1,
	}));
	if (state.committee) {
		const aggregatorUrl = state.committee.aggregator?.url;
		entries.push({
			objectId: state.committee.objectId,
			weight: 1,
			...(aggregatorUrl === undefined ? {} : { aggregatorUrl }),
		});
	}
	if (state.permissioned) entries.push({ objectId: state.permissioned.objectId, weight: 1 });
	return entries;
}

/** A config.yaml (ts/config.ts format) for this stack: no secrets, ids and URLs only. */
export function renderLocalnetConfigYaml(state: LocalnetState): string {
	const lines = [
		'# Written by `seal-policies localnet up` (ids change on every up). Use with SEAL_CONFIG or --config.',
		'network: localnet',
		`rpcUrl: ${state.rpcUrl}`,
		`faucetUrl: ${state.faucetUrl}`,
		'seal:',
	];
	if (state.policyPackageId) lines.push(`  policyPackage: '${state.policyPackageId}'`);
	lines.push(`  threshold: ${state.threshold}`, '  servers:');
	for (const entry of localnetServerEntries(state)) {
		lines.push(`    - objectId: '${entry.objectId}'`, `      weight: ${entry.weight}`);
		if (entry.aggregatorUrl !== undefined)
			lines.push(`      aggregatorUrl: ${entry.aggregatorUrl}`);
	}
	lines.push('');
	return lines.join('\n');
}
