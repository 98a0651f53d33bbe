/**
 * Shared pieces of the vault tests: Seal options for a user of the offline testbed, and allowing
 * (or denying) a user the identities of a vault's epochs, as an allowlist policy would.
 */
import { SealClient } from '@mysten/seal';
import type { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { toHex } from '../../ts/identity.js';
import { epochInnerId, type VaultSealOptions } from '../../ts/vault/vault.js';
import type { VaultMeta } from '../../ts/vault/storage.js';
import { offlineApproveBuilder, type SealTestbed } from './seal-testbed.js';

/** A fresh SealClient (empty key cache) and a session key for `user`. */
export async function vaultSealFor(
	bed: SealTestbed,
	user: Ed25519Keypair,
): Promise<VaultSealOptions> {
	return {
		sealClient: new SealClient({
			suiClient: bed.suiClient,
			serverConfigs: bed.serverConfigs(),
			verifyKeyServers: false,
			// The SDK checks every key with a pairing: 100 ids take seconds on a busy machine.
			timeout: 120_000,
		}),
		session: await bed.newSessionKey(user),
		buildTxBytes: offlineApproveBuilder(bed.packageId),
	};
}

/** Inner-id hex of each epoch of the vault. */
export function epochIds(meta: VaultMeta, epochs: Iterable<number>): string[] {
	return [...epochs].map((epoch) => toHex(epochInnerId(meta, epoch)));
}

/** The key servers release epochs' keys to `address` (what membership means on chain). */
export function allowEpochs(
	bed: SealTestbed,
	meta: VaultMeta,
	epochs: Iterable<number>,
	address: string,
) {
	for (const id of epochIds(meta, epochs)) bed.policy.allow(id, address);
}

/** The key servers refuse epochs' keys to `address` (removed from the allowlist). */
export function denyEpochs(
	bed: SealTestbed,
	meta: VaultMeta,
	epochs: Iterable<number>,
	address: string,
) {
	for (const id of epochIds(meta, epochs)) bed.policy.deny(id, address);
}

/** Total fetch_key requests per server so far. */
export function fetchCounts(bed: SealTestbed): number[] {
	return bed.servers.map((s) => s.stats.fetchKeyRequests);
}
