/**
 * Registers key servers on chain with Mysten's Seal package:
 * `key_server::create_and_transfer_v2_independent_server(name, url, 0, pk)` creates a
 * `KeyServer` object owned by the sender; its id is what clients configure.
 */
import { Transaction } from '@mysten/sui/transactions';
import { LocalnetError } from './errors.js';
import { normalizeObjectId } from '../identity.js';

/** Boneh–Franklin BLS12-381, the only key type Seal accepts. */
export const KEY_TYPE_BF_BLS12381 = 0;

export interface RegisterKeyServerOptions {
	sealPackageId: string;
	name: string;
	/** Where clients reach the server; no trailing slash (the SDK appends `/v1/...`). */
	url: string;
	/** 96-byte compressed G2 master public key. */
	publicKey: Uint8Array;
}

/** Adds the registration call to `tx` (a new Transaction when omitted). */
export function buildRegisterKeyServerTx(
	options: RegisterKeyServerOptions,
	tx: Transaction = new Transaction(),
): Transaction {
	if (options.publicKey.length !== 96) {
		throw new LocalnetError(
			'key servers',
			`public key must be 96 bytes (compressed G2), got ${options.publicKey.length}`,
		);
	}
	if (options.url.endsWith('/')) {
		throw new LocalnetError('key servers', `url '${options.url}' must not end with '/'`);
	}
	const pkg = normalizeObjectId(options.sealPackageId, 'sealPackageId');
	tx.moveCall({
		target: `${pkg}::key_server::create_and_transfer_v2_independent_server`,
		arguments: [
			tx.pure.string(options.name),
			tx.pure.string(options.url),
			tx.pure.u8(KEY_TYPE_BF_BLS12381),
			tx.pure.vector('u8', Array.from(options.publicKey)),
		],
	});
	return tx;
}

/** The Move type of a registered key server under `sealPackageId`. */
export function keyServerType(sealPackageId: string): string {
	return `${normalizeObjectId(sealPackageId, 'sealPackageId')}::key_server::KeyServer`;
}
