/**
 * Seal flows behind a wallet. A dApp never holds a private key: it asks the connected wallet to
 * sign the session-key message (`signPersonalMessage`) and the allowlist administration
 * transactions (`signAndExecuteTransaction`). `SealWallet` is the shape dapp-kit's hooks
 * already have, e.g.
 *
 * ```ts
 * const wallet: SealWallet = {
 *   address: account.address,
 *   signPersonalMessage: useSignPersonalMessage().mutateAsync,
 *   signAndExecuteTransaction: useSignAndExecuteTransaction().mutateAsync,
 * };
 * ```
 */
import { SessionKey, type SealCompatibleClient } from '@mysten/seal';
import type { ClientWithCoreApi, SuiClientTypes } from '@mysten/sui/client';
import type { Signer } from '@mysten/sui/cryptography';
import type { Transaction } from '@mysten/sui/transactions';
import { fromBase64, normalizeSuiAddress, parseStructTag } from '@mysten/sui/utils';

import { InvalidInputError } from '../errors.js';
import { TransactionFailedError } from '../chain/errors.js';
import { normalizeObjectId } from '../identity.js';
import {
	addMemberTx,
	createAllowlistTx,
	removeMemberTx,
	ALLOWLIST_MODULE,
} from '../policies/allowlist.js';
import { policyAbortClassifier } from '../policies/errors.js';
import { errorFromExecutionStatus } from '../chain/transactions.js';

/** What the Seal flows need from a wallet (dapp-kit's hooks, or `walletFromSigner`). */
export interface SealWallet {
	/** The connected account, `0x` + 64 hex. */
	address: string;
	/** Personal-message signature (base64 serialized signature), as dapp-kit returns it. */
	signPersonalMessage(input: { message: Uint8Array }): Promise<{ signature: string }>;
	/**
	 * Signs and submits (dapp-kit `useSignAndExecuteTransaction`). Allowlist administration uses
	 * it when present, else `signTransaction` and submits through the client.
	 */
	signAndExecuteTransaction?(input: { transaction: Transaction }): Promise<{ digest: string }>;
	/** Signs only (dapp-kit `useSignTransaction`): base64 transaction bytes and signature. */
	signTransaction?(input: {
		transaction: Transaction;
	}): Promise<{ bytes: string; signature: string }>;
}

/**
 * A `SealWallet` over a keypair (tests, scripts, the example page's throwaway key). The
 * transaction is built with `client` so gas and objects are resolved like a wallet would.
 */
export function walletFromSigner(signer: Signer, client: ClientWithCoreApi): SealWallet {
	return {
		address: signer.toSuiAddress(),
		signPersonalMessage: async ({ message }) => signer.signPersonalMessage(message),
		signAndExecuteTransaction: async ({ transaction }) => {
			transaction.setSenderIfNotSet(signer.toSuiAddress());
			const bytes = await transaction.build({ client });
			const { signature } = await signer.signTransaction(bytes);
			const result = await client.core.executeTransaction({
				transaction: bytes,
				signatures: [signature],
			});
			const executed = result.Transaction ?? result.FailedTransaction;
			return { digest: executed.digest };
		},
	};
}

/**
 * A session key for `packageId` (ORIGINAL id) signed by the wallet: exactly one
 * `signPersonalMessage` prompt, valid for `ttlMin` minutes (1..30).
 */
export async function createWalletSessionKey({
	wallet,
	packageId,
	suiClient,
	ttlMin = 10,
}: {
	wallet: Pick<SealWallet, 'address' | 'signPersonalMessage'>;
	packageId: string;
	suiClient: SealCompatibleClient;
	ttlMin?: number;
}): Promise<SessionKey> {
	if (!Number.isInteger(ttlMin) || ttlMin < 1 || ttlMin > 30) {
		throw new InvalidInputError('ttlMin', 'must be an integer from 1 to 30');
	}
	const sessionKey = await SessionKey.create({
		address: normalizeObjectId(wallet.address, 'wallet.address'),
		packageId: normalizeObjectId(packageId, 'packageId'),
		ttlMin,
		suiClient,
	});
	const { signature } = await wallet.signPersonalMessage({
		message: sessionKey.getPersonalMessage(),
	});
	// Verifies the signature against the address: a wrong account fails here, not at a server.
	await sessionKey.setPersonalMessageSignature(signature);
	return sessionKey;
}

interface AdminBase {
	wallet: Pick<SealWallet, 'address' | 'signAndExecuteTransaction' | 'signTransaction'>;
	/** Reads the executed transaction back (created ids, abort details). */
	client: ClientWithCoreApi;
	/** Latest package id (the newest code runs). */
	packageId: string;
}

/**
 * Creates an allowlist from the wallet in one transaction (`new`, `add` each of `members`,
 * `share`, cap to the wallet) and returns the new ids once the full node serves them.
 */
export async function createAllowlistWithWallet({
	wallet,
	client,
	packageId,
	name,
	members = [],
}: AdminBase & { name: string; members?: readonly string[] }): Promise<{
	allowlistId: string;
	capId: string;
	digest: string;
}> {
	const transaction = createAllowlistTx({ packageId, name, owner: wallet.address, members });
	const executed = await submit(wallet, client, transaction, `create allowlist '${name}'`);
	return {
		allowlistId: createdOfType(executed, 'Allowlist'),
		capId: createdOfType(executed, 'AllowlistCap'),
		digest: executed.digest,
	};
}

/** `add` (`remove`) `member` from the wallet that holds `capId`. */
export async function changeMemberWithWallet({
	wallet,
	client,
	packageId,
	allowlistId,
	capId,
	member,
	action,
}: AdminBase & {
	allowlistId: string;
	capId: string;
	member: string;
	action: 'add' | 'remove';
}): Promise<{ digest: string }> {
	const build = action === 'add' ? addMemberTx : removeMemberTx;
	const transaction = build({
		packageId,
		allowlist: normalizeObjectId(allowlistId, 'allowlistId'),
		cap: normalizeObjectId(capId, 'capId'),
		member,
	});
	const { digest } = await submit(wallet, client, transaction, `${action} ${member}`);
	return { digest };
}

type Executed = SuiClientTypes.Transaction<{ effects: true; objectTypes: true }>;

async function submit(
	wallet: AdminBase['wallet'],
	client: ClientWithCoreApi,
	transaction: Transaction,
	label: string,
): Promise<Executed> {
	transaction.setSenderIfNotSet(wallet.address);
	const digest = await signAndSubmit(wallet, client, transaction, label);
	const result = await client.core.waitForTransaction({
		digest,
		include: { effects: true, objectTypes: true },
	});
	const executed = result.Transaction ?? result.FailedTransaction;
	if (result.$kind === 'FailedTransaction' || !executed.status.success) {
		throw errorFromExecutionStatus(
			executed.status,
			executed.digest,
			label,
			policyAbortClassifier(),
		);
	}
	return executed;
}

async function signAndSubmit(
	wallet: AdminBase['wallet'],
	client: ClientWithCoreApi,
	transaction: Transaction,
	label: string,
): Promise<string> {
	if (wallet.signAndExecuteTransaction) {
		return (await wallet.signAndExecuteTransaction({ transaction })).digest;
	}
	if (!wallet.signTransaction) {
		throw new InvalidInputError(
			'wallet',
			'needs signAndExecuteTransaction or signTransaction to administer allowlists',
		);
	}
	const { bytes, signature } = await wallet.signTransaction({ transaction });
	let result: SuiClientTypes.TransactionResult<{}>;
	try {
		result = await client.core.executeTransaction({
			transaction: fromBase64(bytes),
			signatures: [signature],
		});
	} catch (error) {
		throw new TransactionFailedError(
			`${label} was rejected by the full node: ${(error as Error).message}`,
			{ digest: undefined, kind: 'Rejected' },
			{ cause: error },
		);
	}
	return (result.Transaction ?? result.FailedTransaction).digest;
}

function createdOfType(executed: Executed, name: string): string {
	const ids = (executed.effects?.changedObjects ?? [])
		.filter((change) => change.idOperation === 'Created')
		.map((change) => change.objectId)
		.filter((id) => {
			const type = executed.objectTypes?.[id];
			if (type === undefined) return false;
			const tag = parseStructTag(type);
			return tag.module === ALLOWLIST_MODULE && tag.name === name;
		});
	if (ids.length !== 1 || ids[0] === undefined) {
		throw new TransactionFailedError(
			`tx ${executed.digest} created ${ids.length} objects of type ${ALLOWLIST_MODULE}::${name}, expected 1`,
			{ digest: executed.digest, kind: 'UnexpectedEffects' },
		);
	}
	return normalizeSuiAddress(ids[0]);
}
