/**
 * The worker pool: ids split across workers come back in order and identical in value to inline
 * derivation (checked by unwrapping), and a pool whose workers died fails requests instead of
 * hanging them.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { describe, expect, it } from 'vitest';
import { loadCurveBackend, randomScalar } from '../../ts/keyserver/curve/backend.js';
import { startWorkerPool } from '../../ts/keyserver/key-pool.js';
import { KeyServerStartError } from '../../ts/errors.js';

describe('key worker pool', () => {
	it('splits a request across workers and returns the keys in id order', async () => {
		const masterKey = randomScalar();
		const pool = await startWorkerPool({ masterKey, backend: 'mcl', size: 2 });
		try {
			const sk = 99n;
			const encKey = bls12_381.G1.Point.BASE.multiply(sk).toBytes();
			const ids = Array.from({ length: 7 }, (_, i) => new Uint8Array([i, i, i]));
			const wrapped = await pool.wrap(encKey, ids);
			const ops = (await loadCurveBackend('noble')).withMasterKey(masterKey);
			expect(wrapped).toHaveLength(7);
			for (const [i, [c0, c1]] of wrapped.entries()) {
				const usk = bls12_381.G1.Point.fromBytes(c1).subtract(
					bls12_381.G1.Point.fromBytes(c0).multiply(sk),
				);
				expect(Buffer.from(usk.toBytes()).toString('hex')).toBe(
					Buffer.from(ops.userKey(ids[i]!)).toString('hex'),
				);
			}
			await expect(pool.wrap(new Uint8Array(48), ids)).rejects.toThrow(/G1/);
		} finally {
			await pool.close();
		}
		await expect(pool.wrap(new Uint8Array(48), [])).rejects.toThrow(/closed/);
	});

	it('refuses a bad size', async () => {
		await expect(
			startWorkerPool({ masterKey: randomScalar(), backend: 'mcl', size: 0 }),
		).rejects.toThrow(KeyServerStartError);
	});
});
