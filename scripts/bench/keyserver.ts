/**
 * Key-server bench: `fetch_key` throughput (1, 10 and 100 ids per request) against one in-process
 * server over loopback HTTP, and the cost of one user-key derivation, each next to the raw
 * `@noble/curves` cost of the same operations measured in the same run.
 *
 * Raw baseline per request = 2 Ed25519 verifications (user's personal-message signature and the
 * session signature), decoding enc_key (G1) and enc_verification_key (G2) + per id: hash to G1, G1 scalar multiply (user key), ElGamal (g1^r, enc^r, add).
 * The gap to the baseline is HTTP, JSON, BCS/PTB checks and the client side of the loop (it
 * shares the machine's cores).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { bytesToNumberBE, concatBytes } from '@noble/curves/utils.js';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import { normalizeSuiAddress } from '@mysten/sui/utils';
import { randomBytes } from 'node:crypto';
import { FixedEvaluator } from '../../ts/keyserver/evaluator.js';
import { deriveUserKey, generateMasterKey } from '../../ts/keyserver/keys.js';
import { StaticPackageResolver } from '../../ts/keyserver/packages.js';
import { startKeyServer } from '../../ts/keyserver/server.js';
import {
	alternatingPairs,
	formatTable,
	medians,
	ratioOf,
	significant,
	type Pairs,
} from './measure.js';

const G1 = bls12_381.G1.Point;
const DST_ID = new TextEncoder().encode('SUI-SEAL-IBE-BLS12381-00');

export async function run(): Promise<void> {
	const rows: string[][] = [
		[
			'measurement',
			'pairs',
			'ours (wall)',
			'raw (wall)',
			'ours / raw (wall)',
			'ours (CPU)',
			'raw (CPU)',
			'ours / raw (CPU)',
		],
	];

	// --- one user-key derivation
	const msk = generateMasterKey();
	const scalar = bytesToNumberBE(msk);
	const ids = Array.from({ length: 64 }, () => new Uint8Array(randomBytes(40)));
	const derive = await alternatingPairs(
		PAIRS,
		perOp(40, (i) =>
			bls12_381.G1.hashToCurve(concatBytes(DST_ID, ids[i % ids.length]!))
				.multiply(scalar)
				.toBytes(),
		),
		perOp(40, (i) => deriveUserKey(msk, ids[i % ids.length]!)),
	);
	rows.push(row('user-key derivation (ms/key)', derive, 40, 40, 'ms'));

	// --- fetch_key throughput
	const packageId = normalizeSuiAddress(randomBytes(32).toString('hex'));
	const policy = new FixedEvaluator();
	const server = await startKeyServer({
		masterKey: msk,
		objectId: normalizeSuiAddress(randomBytes(32).toString('hex')),
		evaluator: policy,
		packages: new StaticPackageResolver([[packageId, packageId]]),
	});
	try {
		for (const count of [1, 10, 100]) {
			const inner = Array.from({ length: count }, () => new Uint8Array(randomBytes(16)));
			for (const id of inner) policy.allow(Buffer.from(id).toString('hex'));
			const request = await buildRequest(packageId, inner);
			const post = () =>
				fetch(`${server.url}/v1/fetch_key`, {
					method: 'POST',
					headers: {
						'Content-Type': 'application/json',
						'Client-Sdk-Type': 'typescript',
						'Client-Sdk-Version': '1.4.12',
					},
					body: request.json,
				}).then(async (res) => {
					if (res.status !== 200)
						throw new Error(`fetch_key answered ${res.status}: ${await res.text()}`);
					await res.arrayBuffer();
				});
			await post(); // warm-up
			const n = count === 1 ? 30 : count === 10 ? 8 : 2;
			const rawN = count === 1 ? 10 : count === 10 ? 3 : 1;
			const fetches = await alternatingPairs(
				PAIRS,
				() => rawRequestCost(request, inner, scalar, rawN),
				async () => {
					for (let i = 0; i < n; i++) await post();
				},
			);
			const what = `${count} id${count > 1 ? 's' : ''}/request`;
			rows.push(row(`fetch_key, ${what} (req/s)`, fetches, n, rawN, 'per second'));
			rows.push(row(`  per key (ms)`, fetches, n * count, rawN * count, 'ms'));
		}
	} finally {
		await server.close();
	}
	print(rows);
}

interface BuiltRequest {
	json: string;
	message: Uint8Array;
	userSignature: Uint8Array;
	userPublicKey: Uint8Array;
	signed: Uint8Array;
	sessionSignature: Uint8Array;
	sessionPublicKey: Uint8Array;
	encKey: Uint8Array;
	encVerificationKey: Uint8Array;
}

async function buildRequest(packageId: string, inner: Uint8Array[]): Promise<BuiltRequest> {
	const { handRequest } = await import('../../tests/support/fetch-key-request.js');
	const tx = new Transaction();
	for (const id of inner) {
		tx.moveCall({
			target: `${packageId}::policy::seal_approve`,
			arguments: [tx.pure.vector('u8', Array.from(id))],
		});
	}
	const txBytes = await tx.build({ onlyTransactionKind: true });
	const user = Ed25519Keypair.generate();
	const { body } = await handRequest({ user, packageId, txBytes, ttlMin: 30 });
	const cert = body['certificate'] as { signature: string; session_vk: string };
	const sig = Buffer.from(cert.signature, 'base64');
	const b64 = (key: string) => Uint8Array.from(Buffer.from(body[key] as string, 'base64'));
	return {
		json: JSON.stringify(body),
		message: new Uint8Array(randomBytes(200)),
		userSignature: Uint8Array.from(sig.subarray(1, 65)),
		userPublicKey: Uint8Array.from(sig.subarray(65)),
		signed: new Uint8Array(randomBytes(80 + inner.length * 40)),
		sessionSignature: b64('request_signature'),
		sessionPublicKey: Uint8Array.from(Buffer.from(cert.session_vk, 'base64')),
		encKey: b64('enc_key'),
		encVerificationKey: b64('enc_verification_key'),
	};
}

/** The raw curve work of `times` requests (verification results are irrelevant to the cost). */
function rawRequestCost(
	request: BuiltRequest,
	inner: Uint8Array[],
	scalar: bigint,
	times: number,
): void {
	const prefix = new Uint8Array(32);
	for (let i = 0; i < times; i++) {
		ed25519.verify(request.userSignature, request.message, request.userPublicKey);
		ed25519.verify(request.sessionSignature, request.signed, request.sessionPublicKey);
		bls12_381.G2.Point.fromBytes(request.encVerificationKey);
		const encKey = G1.fromBytes(request.encKey);
		for (const id of inner) {
			const usk = bls12_381.G1.hashToCurve(concatBytes(DST_ID, prefix, id)).multiply(scalar);
			const r = bytesToNumberBE(bls12_381.utils.randomSecretKey());
			G1.BASE.multiply(r).toBytes();
			encKey.multiply(r).add(G1.fromAffine(usk.toAffine())).toBytes();
		}
	}
}

/** Pairs per row: alternating order, medians (scripts/bench/measure.ts). */
const PAIRS = 7;

/** `n` calls of `op` (one timed sample). */
function perOp(n: number, op: (i: number) => unknown): () => void {
	return () => {
		for (let i = 0; i < n; i++) op(i);
	};
}

/**
 * One row from alternating pairs: the candidate (ours) did `oursUnits` units per sample, the
 * baseline (raw) `rawUnits`. Figures are ms per unit or units per second; each ratio is computed
 * from the two rounded figures printed beside it.
 */
function row(
	label: string,
	pairs: Pairs,
	oursUnits: number,
	rawUnits: number,
	unit: 'ms' | 'per second',
): string[] {
	const ours = medians(pairs.candidate);
	const raw = medians(pairs.baseline);
	// 3 significant digits: 0.148 req/s stays distinguishable from 0.196.
	const figure = (ms: number, units: number) =>
		significant(unit === 'ms' ? ms / units : (1000 * units) / ms);
	const cells: string[] = [label, String(pairs.baseline.length)];
	const wall = [figure(ours.wallMs, oursUnits), figure(raw.wallMs, rawUnits)] as const;
	const cpu = [figure(ours.cpuMs, oursUnits), figure(raw.cpuMs, rawUnits)] as const;
	cells.push(String(wall[0]), String(wall[1]), ratioOf(wall[0], wall[1]));
	cells.push(String(cpu[0]), String(cpu[1]), ratioOf(cpu[0], cpu[1]));
	return cells;
}

function print(rows: string[][]): void {
	process.stdout.write(formatTable(rows));
	process.stdout.write(
		'pairs run back to back in alternating order; medians; CPU = this process (client and server both); ' +
			'each ratio is computed from the two figures beside it (req/s: higher is better; ms: lower is better).\n',
	);
	process.stdout.write(
		'fetch_key: sequential requests over loopback from the same process (client and server share 2 cores); ' +
			'raw = 2 Ed25519 verifies, G1+G2 point decoding + per id hash-to-G1, 3 G1 multiplies, 1 add.\n',
	);
}
