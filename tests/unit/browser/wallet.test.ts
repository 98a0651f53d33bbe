import { bcs } from '@mysten/sui/bcs';
import type { SuiClientTypes } from '@mysten/sui/client';
import type { Transaction } from '@mysten/sui/transactions';
import { toBase64 } from '@mysten/sui/utils';
import { describe, expect, it, vi } from 'vitest';

import {
	changeMemberWithWallet,
	createAllowlistWithWallet,
	type SealWallet,
} from '../../../ts/browser/wallet.js';
import { InvalidInputError } from '../../../ts/errors.js';
import { NotMemberError } from '../../../ts/policies/errors.js';
import type { SuiClient } from '../../../ts/chain/sui-client.js';

const PKG = `0x${'ab'.repeat(32)}`;
const ADMIN = `0x${'11'.repeat(32)}`;
const LIST = `0x${'cd'.repeat(32)}`;
const CAP = `0x${'ef'.repeat(32)}`;
const MEMBER = `0x${'22'.repeat(32)}`;

/** Created-object effects in the SDK's core shape (SuiClientTypes.ChangedObject). */
function created(objectId: string): SuiClientTypes.ChangedObject {
	return {
		objectId,
		inputState: 'DoesNotExist',
		inputVersion: null,
		inputDigest: null,
		inputOwner: null,
		outputState: 'ObjectWrite',
		outputVersion: '3',
		outputDigest: null,
		outputOwner: null,
		idOperation: 'Created',
	};
}

function clientReturning(result: unknown, execute = vi.fn()) {
	const waitForTransaction = vi.fn(async () => result);
	const client = {
		core: { waitForTransaction, executeTransaction: execute },
	} as unknown as SuiClient;
	return { client, waitForTransaction };
}

describe('allowlist administration through a wallet', () => {
	it('creates in one signed transaction and returns the ids the effects created', async () => {
		const signed: Transaction[] = [];
		const wallet: SealWallet = {
			address: ADMIN,
			signPersonalMessage: async () => ({ signature: '' }),
			signAndExecuteTransaction: async ({ transaction }) => {
				signed.push(transaction);
				return { digest: 'D1' };
			},
		};
		const { client, waitForTransaction } = clientReturning({
			$kind: 'Transaction',
			Transaction: {
				digest: 'D1',
				status: { success: true, error: null },
				effects: { changedObjects: [created(CAP), created(LIST)] },
				objectTypes: {
					[LIST]: `${PKG}::allowlist::Allowlist`,
					[CAP]: `${PKG}::allowlist::AllowlistCap`,
				},
			},
		});
		const result = await createAllowlistWithWallet({
			wallet,
			client,
			packageId: PKG,
			name: 'team',
			members: [MEMBER],
		});
		expect(result).toEqual({ allowlistId: LIST, capId: CAP, digest: 'D1' });
		expect(waitForTransaction).toHaveBeenCalledWith({
			digest: 'D1',
			include: { effects: true, objectTypes: true },
		});
		const data = signed[0]?.getData();
		expect(data?.sender).toBe(ADMIN);
		expect(data?.commands.map((c) => c.MoveCall?.function ?? c.$kind)).toEqual([
			'new',
			'add',
			'share',
			'TransferObjects',
		]);
	});

	it('falls back to signTransaction + the client, and maps a failed Move call to its typed error', async () => {
		const execute = vi.fn(async () => ({ $kind: 'Transaction', Transaction: { digest: 'D2' } }));
		const abort: SuiClientTypes.ExecutionError = {
			$kind: 'MoveAbort',
			message: 'abort',
			command: 0,
			MoveAbort: {
				abortCode: '3',
				location: { package: PKG, module: 'allowlist', functionName: 'remove' },
				cleverError: { constantName: 'ENotMember', errorCode: 3 },
			},
		};
		const { client } = clientReturning(
			{
				$kind: 'FailedTransaction',
				FailedTransaction: {
					digest: 'D2',
					status: { success: false, error: abort },
					effects: { changedObjects: [] },
					objectTypes: {},
				},
			},
			execute,
		);
		const txBytes = bcs.u8().serialize(7).toBytes();
		const wallet: SealWallet = {
			address: ADMIN,
			signPersonalMessage: async () => ({ signature: '' }),
			signTransaction: async () => ({ bytes: toBase64(txBytes), signature: 'SIG' }),
		};
		const failure = changeMemberWithWallet({
			wallet,
			client,
			packageId: PKG,
			allowlistId: LIST,
			capId: CAP,
			member: MEMBER,
			action: 'remove',
		});
		await expect(failure).rejects.toBeInstanceOf(NotMemberError);
		expect(execute).toHaveBeenCalledWith({ transaction: txBytes, signatures: ['SIG'] });
	});

	it('refuses a wallet that can sign neither way', async () => {
		const { client } = clientReturning(undefined);
		await expect(
			changeMemberWithWallet({
				wallet: { address: ADMIN },
				client,
				packageId: PKG,
				allowlistId: LIST,
				capId: CAP,
				member: MEMBER,
				action: 'add',
			}),
		).rejects.toBeInstanceOf(InvalidInputError);
	});
});
