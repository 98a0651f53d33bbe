/**
 * Fast backend on mcl-wasm (BLS12-381, WASM; 6–8× noble per key). Configured to match Seal's
 * fastcrypto/blst stack byte for byte: ZCash point serialization (`setETHserialization`),
 * RFC 9380 hash-to-curve (`IRTF` map-to mode) with the BLS signature NUL DST, subgroup
 * checks on every deserialization. Secret scalars go through `mclBnG1_mulCT`/`mclBnG2_mulCT`
 * (constant time); mcl's plain `mul` is variable time and is never given a secret.
 */
import { createRequire } from 'node:module';
import * as mcl from 'mcl-wasm';
import {
	batchCoefficient,
	checkedScalar,
	concat,
	DST_ID,
	HASH_TO_G1_DST,
	randomScalar,
	type CurveBackend,
	type MasterKeyOps,
	type ScalarSource,
	type WrappedKey,
} from './curve.js';

/** The raw WASM exports (mcl-wasm's typed API has no constant-time multiply or DST setter). */
interface MclModule {
	_malloc(size: number): number;
	_free(pointer: number): void;
	HEAP8: Int8Array;
	_mclBnG1_setDst(pointer: number, length: number): number;
	_mclBnG1_mulCT: unknown;
	_mclBnG2_mulCT: unknown;
}
/** mcl-wasm's internal `z = func(this, y)` helper (present on every value object). */
interface WithOp2<T> {
	_op2(func: unknown, y: mcl.Fr): T;
}

const require = createRequire(import.meta.url);
let loaded: Promise<CurveBackend> | undefined;

export function loadMclBackend(): Promise<CurveBackend> {
	loaded ??= init();
	return loaded;
}

async function init(): Promise<CurveBackend> {
	await mcl.init(mcl.BLS12_381);
	const { mod } = require('mcl-wasm/dist/mcl.js') as { mod: MclModule };
	mcl.setETHserialization(true);
	mcl.setMapToMode(mcl.IRTF);
	mcl.verifyOrderG1(true);
	mcl.verifyOrderG2(true);
	const dst = Buffer.from(HASH_TO_G1_DST, 'ascii');
	const at = mod._malloc(dst.length);
	mod.HEAP8.set(new Int8Array(dst.buffer, dst.byteOffset, dst.length), at);
	const status = mod._mclBnG1_setDst(at, dst.length);
	mod._free(at);
	if (status !== 0) throw new Error('mcl-wasm: cannot set the hash-to-G1 DST');

	const mulG1 = (point: mcl.G1, k: mcl.Fr): mcl.G1 =>
		(point as unknown as WithOp2<mcl.G1>)._op2(mod._mclBnG1_mulCT, k);
	const mulG2 = (point: mcl.G2, k: mcl.Fr): mcl.G2 =>
		(point as unknown as WithOp2<mcl.G2>)._op2(mod._mclBnG2_mulCT, k);
	const base = new mcl.G1();
	base.deserialize(G1_GENERATOR);
	const baseG2 = new mcl.G2();
	baseG2.deserialize(G2_GENERATOR);

	const frOf = (bytes: Uint8Array, field: string): mcl.Fr => {
		checkedScalar(bytes, field);
		const fr = new mcl.Fr();
		fr.setBigEndianMod(bytes);
		return fr;
	};
	// With the settings above, mcl's deserialize refuses wrong lengths, non-canonical encodings
	// and points outside the prime-order subgroup (pinned by keyserver-curve-kat.test.ts).
	const decodeG1 = (bytes: Uint8Array): mcl.G1 | undefined => {
		try {
			const point = new mcl.G1();
			point.deserialize(bytes);
			return point;
		} catch {
			return undefined;
		}
	};

	const decodeG2 = (bytes: Uint8Array): mcl.G2 | undefined => {
		try {
			const point = new mcl.G2();
			point.deserialize(bytes);
			return point;
		} catch {
			return undefined;
		}
	};
	const negG2 = mcl.neg(baseG2);
	const negG2Pre = new mcl.PrecomputedG2(negG2);
	const frOfPublic = (value: bigint): mcl.Fr => {
		const fr = new mcl.Fr();
		fr.setStr(value.toString(16), 16);
		return fr;
	};

	return {
		name: 'mcl',
		verifyEncryptedShares(shares, ephemeralVk, partialPk, fullIds) {
			const vk = decodeG2(ephemeralVk);
			const pk = decodeG2(partialPk);
			if (!vk || !pk || vk.isZero() || pk.isZero()) return shares.map(() => false);
			const points = shares.map(([c0Bytes, c1Bytes], i) => {
				const c0 = decodeG1(c0Bytes);
				const c1 = decodeG1(c1Bytes);
				if (!c0 || !c1 || c0.isZero() || c1.isZero()) return undefined;
				return { c0, c1, h: mcl.hashAndMapToG1(concat(DST_ID, fullIds[i]!)) };
			});
			const valid = points.filter((p) => p !== undefined);
			// Small-exponent batch check (see curve.ts): one product of three pairings for them all.
			if (valid.length > 1) {
				const rho = valid.map(() => {
					const fr = new mcl.Fr();
					fr.setBigEndianMod(batchCoefficient());
					return fr;
				});
				const sum = (pick: (p: (typeof valid)[number]) => mcl.G1) =>
					mcl.mulVec(valid.map(pick), rho);
				const product = mcl.mul(
					mcl.mul(
						mcl.millerLoop(
							sum((p) => p.c1),
							mcl.neg(baseG2),
						),
						mcl.millerLoop(
							sum((p) => p.c0),
							vk,
						),
					),
					mcl.millerLoop(
						sum((p) => p.h),
						pk,
					),
				);
				if (mcl.finalExp(product).isOne()) return points.map((p) => p !== undefined);
			}
			// One by one (a single share, or a batch with a bad one: find which). Preparing the G2
			// points pays off only over several shares.
			const direct = valid.length <= 1;
			const vkPre = direct ? undefined : new mcl.PrecomputedG2(vk);
			const pkPre = direct ? undefined : new mcl.PrecomputedG2(pk);
			try {
				return points.map((p) => {
					if (!p) return false;
					// e(c1, -g2) · e(c0, vk) · e(H(id), pk) == 1, one final exponentiation.
					const product =
						vkPre && pkPre
							? mcl.mul(
									mcl.precomputedMillerLoop2(p.c1, negG2Pre, p.c0, vkPre),
									mcl.precomputedMillerLoop(p.h, pkPre),
								)
							: mcl.mul(
									mcl.mul(mcl.millerLoop(p.c1, negG2), mcl.millerLoop(p.c0, vk)),
									mcl.millerLoop(p.h, pk),
								);
					return mcl.finalExp(product).isOne();
				});
			} finally {
				vkPre?.destroy();
				pkPre?.destroy();
			}
		},
		combineG1(points, coefficients) {
			const decoded = points.map((bytes) => {
				const point = decodeG1(bytes);
				if (!point) throw new Error('not a valid G1 point');
				return point;
			});
			return mcl.mulVec(decoded, coefficients.map(frOfPublic)).serialize();
		},
		hashToG1: (message) => mcl.hashAndMapToG1(message).serialize(),
		isG1: (bytes) => decodeG1(bytes) !== undefined,
		isG2(bytes) {
			try {
				new mcl.G2().deserialize(bytes);
				return true;
			} catch {
				return false;
			}
		},
		withMasterKey(masterKey: Uint8Array): MasterKeyOps {
			const msk = frOf(masterKey, 'masterKey');
			const userKeyPoint = (fullId: Uint8Array) =>
				mulG1(mcl.hashAndMapToG1(concat(DST_ID, fullId)), msk);
			return {
				publicKey: () => mulG2(baseG2, msk).serialize(),
				signG1: (message) => mulG1(mcl.hashAndMapToG1(message), msk).serialize(),
				userKey: (fullId) => userKeyPoint(fullId).serialize(),
				wrapUserKeys(encKey, fullIds, random: ScalarSource = randomScalar): WrappedKey[] {
					const enc = decodeG1(encKey);
					if (!enc) throw new Error('encKey is not a valid G1 point');
					return fullIds.map((fullId) => {
						const r = frOf(random(), 'randomness');
						const c0 = mulG1(base, r);
						const c1 = mcl.add(mulG1(enc, r), userKeyPoint(fullId));
						r.clear();
						return [c0.serialize(), c1.serialize()];
					});
				},
				wipe: () => msk.clear(),
			};
		},
	};
}

/** Standard generators, compressed (ZCash form), as in RFC 9380 / the BLS12-381 spec. */
const G1_GENERATOR = Buffer.from(
	'97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb',
	'hex',
);
const G2_GENERATOR = Buffer.from(
	'93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e' +
		'024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8',
	'hex',
);
