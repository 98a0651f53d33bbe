/**
 * Mysten's address-alias check (MystenLabs/seal crates/key-server/src/server.rs at ddc7e5d6,
 * `has_address_aliases`, called in `check_signature` after the certificate time checks and
 * before the user-signature check): a user whose address has set up aliases is refused with
 * `InvalidSignature`, because a transaction signed by any alias may act as that address, which a
 * personal-message signature by the address's own key does not account for.
 *
 * The framework keeps each address's aliases in an `AddressAliases` object derived from the
 * `AddressAliasState` singleton (0xa) with the key `AliasKey(address)` (MystenLabs/sui
 * crates/sui-framework/packages/sui-framework/sources/address_alias.move at 49c58671,
 * `initialize`: `derived_object::claim(&mut state.id, AliasKey(sender))`). The object exists
 * exactly when the address has aliases, so one object lookup answers the question.
 */
import { bcs } from '@mysten/sui/bcs';
import type { ClientWithCoreApi } from '@mysten/sui/client';
import { deriveObjectID, normalizeSuiAddress } from '@mysten/sui/utils';
import { KeyServerRequestError } from './errors.js';
import { MESSAGES } from './protocol.js';

/** `SUI_ADDRESS_ALIAS_STATE_OBJECT_ID` (sui-types: `ObjectID::from_u16(0xa)`). */
export const ADDRESS_ALIAS_STATE_OBJECT_ID = normalizeSuiAddress('0xa');
/** The derivation key's type, as upstream's `has_address_aliases` spells it. */
export const ALIAS_KEY_TYPE = '0x2::address_alias::AliasKey';

/** Id of the `AddressAliases` object of `address` (whether or not it exists). */
export function addressAliasesObjectId(address: string): string {
	const key = bcs.Address.serialize(address).toBytes();
	return deriveObjectID(ADDRESS_ALIAS_STATE_OBJECT_ID, ALIAS_KEY_TYPE, key);
}

export interface AddressAliasLookup {
	/** True when `address` has aliases; throws when the node cannot tell. */
	hasAddressAliases(address: string): Promise<boolean>;
}

export interface NodeAddressAliasesOptions {
	/** Called after each full-node call (Mysten's `sui_rpc_request_duration_millis`). */
	onRpc?: (method: string, ok: boolean, ms: number) => void;
}

/**
 * Asks the full node whether the derived object exists (upstream: gRPC `GetObject`, NotFound →
 * no aliases). Works over either transport: the SDK's core `getObject` reports a missing object
 * as an `ObjectError` with reason `notFound` (gRPC `BatchGetObjects` NOT_FOUND, JSON-RPC
 * `notExists`); a deleted object is absent too (gRPC answers NotFound for it).
 */
export class NodeAddressAliases implements AddressAliasLookup {
	readonly #client: ClientWithCoreApi;
	readonly #onRpc: NodeAddressAliasesOptions['onRpc'];

	constructor(client: ClientWithCoreApi, options: NodeAddressAliasesOptions = {}) {
		this.#client = client;
		this.#onRpc = options.onRpc;
	}

	async hasAddressAliases(address: string): Promise<boolean> {
		const objectId = addressAliasesObjectId(address);
		const start = performance.now();
		let ok = false;
		try {
			await this.#client.core.getObject({ objectId });
			ok = true;
			return true;
		} catch (error) {
			if (isMissingObjectError(error)) {
				ok = true;
				return false;
			}
			throw error;
		} finally {
			this.#onRpc?.('object_exists', ok, performance.now() - start);
		}
	}
}

/** A core-client object error saying the object is not (or no longer) there. */
export function isMissingObjectError(error: unknown): boolean {
	const reason = (error as { reason?: unknown } | null)?.reason;
	return reason === 'notFound' || reason === 'deleted';
}

/** Aliases → `InvalidSignature`; a node that cannot answer → `Failure` (as upstream). */
export async function checkAddressAliases(
	lookup: AddressAliasLookup,
	address: string,
): Promise<void> {
	let aliased: boolean;
	try {
		aliased = await lookup.hasAddressAliases(address);
	} catch (error) {
		const detail = error instanceof Error ? error.message : String(error);
		throw new KeyServerRequestError('Failure', MESSAGES.Failure, {
			cause: new Error(`Failed to check address aliases: ${detail}`, { cause: error }),
		});
	}
	if (aliased) throw new KeyServerRequestError('InvalidSignature', MESSAGES.InvalidSignature);
}
