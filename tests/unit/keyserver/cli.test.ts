import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../ts/errors.js';
import { generateMasterKey } from '../../../ts/keyserver/keys.js';
import {
	command,
	masterKeyFromEnv,
	probeNode,
	takeMasterKeyFromEnv,
} from '../../../scripts/commands/keyserver.js';

describe('keyserver CLI', () => {
	it('takes the master key from SEAL_KEYSERVER_MASTER_KEY, falling back to MASTER_KEY', () => {
		const a = generateMasterKey();
		const b = generateMasterKey();
		const hex = (k: Uint8Array) => Buffer.from(k).toString('hex');
		expect(masterKeyFromEnv({ SEAL_KEYSERVER_MASTER_KEY: hex(a), MASTER_KEY: hex(b) })).toEqual(a);
		expect(masterKeyFromEnv({ MASTER_KEY: `0x${hex(b)}` })).toEqual(b);
	});

	it('removes the master key from the environment once read (children never inherit it)', () => {
		const key = generateMasterKey();
		const env: NodeJS.ProcessEnv = {
			SEAL_KEYSERVER_MASTER_KEY: Buffer.from(key).toString('hex'),
			MASTER_KEY: 'ignored',
			PATH: '/usr/bin',
		};
		expect(takeMasterKeyFromEnv(env)).toEqual(key);
		expect(env).toEqual({ PATH: '/usr/bin' });
	});

	it('explains a missing or bad key without printing it', () => {
		expect(() => masterKeyFromEnv({})).toThrow(/SEAL_KEYSERVER_MASTER_KEY.*not set/);
		const bad = 'ab'.repeat(31);
		let error: unknown;
		try {
			masterKeyFromEnv({ SEAL_KEYSERVER_MASTER_KEY: bad });
		} catch (caught) {
			error = caught;
		}
		expect(error).toBeInstanceOf(InvalidInputError);
		expect((error as Error).message).not.toContain(bad);
	});

	it('usage says genkey prints the secret and where start reads the key from', () => {
		expect(command.usage).toMatch(/PRINTS THE SECRET MASTER KEY/);
		expect(command.usage).toMatch(/SEAL_KEYSERVER_MASTER_KEY/);
	});
});

describe('keyserver start --check-node', () => {
	const client = (core: Record<string, () => Promise<unknown>>) =>
		({ core }) as unknown as Parameters<typeof probeNode>[0];
	it('reports nothing when the node answers, and names the failing call otherwise', async () => {
		const ok = client({
			getReferenceGasPrice: async () => ({ referenceGasPrice: '1000' }),
			getObject: async () => ({}),
		});
		expect(await probeNode(ok, '0x2')).toBeUndefined();
		const down = client({
			getReferenceGasPrice: async () => {
				throw new Error('ECONNREFUSED');
			},
		});
		expect(await probeNode(down, undefined)).toMatch(/unreachable: ECONNREFUSED/);
		const noSeal = client({
			getReferenceGasPrice: async () => ({ referenceGasPrice: '1000' }),
			getObject: async () => {
				throw new Error('not found');
			},
		});
		expect(await probeNode(noSeal, '0x2')).toMatch(/Seal package 0x2 not found/);
		const silent = client({ getReferenceGasPrice: () => new Promise(() => {}) });
		expect(await probeNode(silent, undefined, 50)).toMatch(/no answer within 50 ms/);
	});
});
