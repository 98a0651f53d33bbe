/**
 * Key material for the localnet's Permissioned server: a random seed (the server's `MASTER_KEY`)
 * and the public key of the client derived from it (index 0), which `up` registers on chain.
 * The derivation is the key server's own (`keyserver/derive-key.ts`, upstream's
 * `derive_master_key`), so the key registered and the key served cannot drift apart. Only the
 * public key leaves `up`; the seed goes to the server's environment and is zeroed here.
 */
import { deriveMasterKey, generateSeed } from '../keyserver/derive-key.js';
import { publicKeyFromMasterKey } from '../keyserver/keys.js';

export { generateSeed };

/** The derived client's public key (96-byte compressed G2): what gets registered on chain. */
export function derivedClientPublicKey(
	seed: Uint8Array,
	derivationIndex: bigint | number,
): Uint8Array {
	const key = deriveMasterKey(seed, derivationIndex);
	try {
		return publicKeyFromMasterKey(key);
	} finally {
		key.fill(0);
	}
}
