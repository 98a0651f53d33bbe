/**
 * `fetchKey` after the HTTP layer, with stub keys, evaluator and package resolver: the check
 * order, the error name per policy denial, the full ids and the metrics timing.
 */
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import { describe, expect, it } from 'vitest';
import { KeyServerRequestError } from '../../../ts/keyserver/errors.js';
import { nobleBackend } from '../../../ts/keyserver/curve/noble.js';
import type { PolicyDecision, PolicyRequest } from '../../../ts/keyserver/evaluator.js';
import { fetchKey, type FetchKeyContext } from '../../../ts/keyserver/fetch-key.js';
import type { KeyDeriver } from '../../../ts/keyserver/key-pool.js';
import type { KeyServerMetrics } from '../../../ts/keyserver/metrics.js';
import { parseFetchKeyRequest } from '../../../ts/keyserver/request.js';
import { handRequest } from '../../support/fetch-key-request.js';

const ORIGINAL = `0x${'0a'.repeat(32)}`;
const UPGRADED = `0x${'0b'.repeat(32)}`;

async function request(options: { mvrName?: string; ids?: number[][] } = {}) {
	const tx = new Transaction();
	for (const id of options.ids ?? [[1, 2], [3]]) {
		tx.moveCall({ target: `${UPGRADED}::m::seal_approve`, arguments: [tx.pure.vector('u8', id)] });
	}
	const txBytes = await tx.build({ onlyTransactionKind: true });
	const user = Ed25519Keypair.generate();
	const { body } = await handRequest({ user, packageId: ORIGINAL, txBytes });
	if (options.mvrName !== undefined) {
		(body['certificate'] as Record<string, unknown>)['mvr_name'] = options.mvrName;
	}
	return { parsed: parseFetchKeyRequest(body, nobleBackend), user: user.toSuiAddress() };
}

function context(decision: PolicyDecision, overrides: Partial<FetchKeyContext> = {}) {
	const seen: { policy: PolicyRequest[]; wrapped: Uint8Array[][]; packages: string[] } = {
		policy: [],
		wrapped: [],
		packages: [],
	};
	const keys: KeyDeriver = {
		workers: 0,
		close: async () => {},
		wrap: async (_encKey, fullIds) => {
			seen.wrapped.push(fullIds);
			return fullIds.map((_, i) => [new Uint8Array([i, 1]), new Uint8Array([i, 2])]);
		},
	};
	const ctx: FetchKeyContext = {
		keys,
		evaluator: {
			evaluate: async (req) => {
				seen.policy.push(req);
				return decision;
			},
		} as FetchKeyContext['evaluator'],
		packages: {
			originalPackageId: async (id) => {
				seen.packages.push(id);
				return id === UPGRADED ? ORIGINAL : undefined;
			},
		},
		nowMs: Date.now(),
		ttlMaxMinutes: 30,
		...overrides,
	};
	return { ctx, seen };
}

async function failure(promise: Promise<unknown>): Promise<KeyServerRequestError> {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(error).toBeInstanceOf(KeyServerRequestError);
	return error as KeyServerRequestError;
}

describe('fetchKey', () => {
	it('answers one key per command under the full id (original package ‖ inner id)', async () => {
		const { parsed, user } = await request();
		const { ctx, seen } = context({ allowed: true });
		const outcome = await fetchKey(parsed, ctx);
		const prefix = Array.from(Buffer.from(ORIGINAL.slice(2), 'hex'));
		expect(outcome.response.decryption_keys).toEqual([
			{ id: [...prefix, 1, 2], encrypted_key: ['AAE=', 'AAI='] },
			{ id: [...prefix, 3], encrypted_key: ['AQE=', 'AQI='] },
		]);
		expect(outcome.originalPackageId).toBe(ORIGINAL);
		expect(outcome.user).toBe(user);
		expect(seen.packages).toEqual([UPGRADED]);
		expect(seen.wrapped.map((ids) => ids.length)).toEqual([2]);
		expect(seen.policy).toHaveLength(1);
		expect(seen.policy[0]!.sender).toBe(user);
		expect(seen.policy[0]!.originalPackageId).toBe(ORIGINAL);
		expect(Buffer.from(seen.policy[0]!.ptb).toString('base64')).toBe(parsed.ptbBase64);
		expect(seen.policy[0]!.validPtb.packageId).toBe(UPGRADED);
	});

	it('refuses an unknown package before the policy runs', async () => {
		const { parsed } = await request();
		const { ctx, seen } = context(
			{ allowed: true },
			{
				packages: { originalPackageId: async () => undefined },
			},
		);
		const error = await failure(fetchKey(parsed, ctx));
		expect(error.errorName).toBe('InvalidPackage');
		expect(seen.policy).toHaveLength(0);
	});

	it('refuses an expired certificate before the policy runs', async () => {
		const { parsed } = await request();
		const { ctx, seen } = context({ allowed: true }, { nowMs: Date.now() + 60 * 60_000 });
		expect((await failure(fetchKey(parsed, ctx))).errorName).toBe('InvalidCertificate');
		expect(seen.policy).toHaveLength(0);
	});

	it('answers Failure for an MVR name when no resolver is set (not mainnet/testnet)', async () => {
		const { parsed } = await request({ mvrName: '@org/app' });
		const { ctx, seen } = context({ allowed: true });
		const error = await failure(fetchKey(parsed, ctx));
		expect(error.errorName).toBe('Failure');
		expect((error.cause as Error).message).toBe(
			'MVR names are resolved only on mainnet and testnet',
		);
		expect(seen.policy).toHaveLength(0);
	});

	it.each([
		['NoAccess', 'NoAccess', 'Access denied: why'],
		['InvalidPTB', 'InvalidPTB', 'Invalid PTB: why'],
		['InvalidParameter', 'InvalidParameter', 'Invalid parameter to PTB: why'],
	] as const)('maps a %s denial to its error and wraps no key', async (denial, name, message) => {
		const { parsed } = await request();
		const { ctx, seen } = context({ allowed: false, error: denial, detail: 'why' });
		const error = await failure(fetchKey(parsed, ctx));
		expect(error.errorName).toBe(name);
		expect(error.message).toContain(message);
		expect(seen.wrapped).toHaveLength(0);
	});

	it('keeps a Failure detail out of the message, as the cause', async () => {
		const { parsed } = await request();
		const { ctx } = context({ allowed: false, error: 'Failure', detail: 'rpc down' });
		const error = await failure(fetchKey(parsed, ctx));
		expect(error.errorName).toBe('Failure');
		expect(error.message).not.toContain('rpc down');
		expect((error.cause as Error).message).toBe('rpc down');
	});

	it('times the package lookup and the policy check when metrics are given', async () => {
		const { parsed } = await request();
		const timed: string[] = [];
		const fetchPkgIdsDuration = { name: 'pkg' };
		const checkPolicyDuration = { name: 'policy' };
		const metrics = {
			fetchPkgIdsDuration,
			checkPolicyDuration,
			time: async <T>(histogram: { name: string }, work: () => Promise<T>) => {
				timed.push(histogram.name);
				return work();
			},
		} as unknown as KeyServerMetrics;
		const { ctx } = context({ allowed: true }, { metrics });
		const outcome = await fetchKey(parsed, ctx);
		expect(outcome.response.decryption_keys).toHaveLength(2);
		expect(timed).toEqual(['pkg', 'policy']);
	});
});
