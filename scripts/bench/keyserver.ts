/**
 * Key-server bench: `fetch_key` throughput (1 and 10 ids per request) against one in-process
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

const G1 = bls12_381.G1.Point;
const DST_ID = new TextEncoder().encode('SUI-SEAL-IBE-BLS12381-00');

export async function run(): Promise<void> {
	const rows: string[][] = [['measurement', 'ours', 'raw @noble/curves', 'ratio (ours / raw)']];

	// --- one user-key derivation
	const msk = generateMasterKey();
	const scalar = bytesToNumberBE(msk);
	const ids = Array.from({ length: 64 }, () => new Uint8Array(randomBytes(40)));
	const [ours, raw] = interleaved(
		5,
		() => timePerOp(40, (i) => deriveUserKey(msk, ids[i % ids.length]!)),
		() =>
			timePerOp(40, (i) =>
				bls12_381.G1.hashToCurve(concatBytes(DST_ID, ids[i % ids.length]!))
					.multiply(scalar)
					.toBytes(),
			),
	);
	rows.push(['user-key derivation (ms/key)', ms(ours), ms(raw), ratio(ours, raw)]);

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
		for (const count of [1, 10]) {
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
			const n = count === 1 ? 30 : 8;
			const [perRequest, rawPerRequest] = await interleavedAsync(
				5,
				async () => {
					const start = performance.now();
					for (let i = 0; i < n; i++) await post();
					return (performance.now() - start) / n;
				},
				() => rawRequestCost(request, inner, scalar),
			);
			rows.push([
				`fetch_key, ${count} id${count > 1 ? 's' : ''}/request (req/s)`,
				(1000 / perRequest).toFixed(1),
				(1000 / rawPerRequest).toFixed(1),
				ratio(perRequest, rawPerRequest),
			]);
			rows.push([
				`  per key (ms)`,
				ms(perRequest / count),
				ms(rawPerRequest / count),
				ratio(perRequest, rawPerRequest),
			]);
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

/** ms for the raw curve work of one request (verification results are irrelevant to the cost). */
function rawRequestCost(request: BuiltRequest, inner: Uint8Array[], scalar: bigint): number {
	const prefix = new Uint8Array(32);
	return timePerOp(inner.length > 1 ? 3 : 10, () => {
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
	});
}

/** Alternates the two measurements `rounds` times (fair under background load); medians. */
function interleaved(rounds: number, a: () => number, b: () => number): [number, number] {
	const as: number[] = [];
	const bs: number[] = [];
	for (let i = 0; i < rounds; i++) {
		as.push(a());
		bs.push(b());
	}
	return [median(as), median(bs)];
}

async function interleavedAsync(
	rounds: number,
	a: () => Promise<number>,
	b: () => number,
): Promise<[number, number]> {
	const as: number[] = [];
	const bs: number[] = [];
	for (let i = 0; i < rounds; i++) {
		as.push(await a());
		bs.push(b());
	}
	return [median(as), median(bs)];
}

function median(values: number[]): number {
	const sorted = [...values].sort((x, y) => x - y);
	return sorted[Math.floor(sorted.length / 2)]!;
}

function timePerOp(n: number, op: (i: number) => unknown): number {
	op(0);
	const start = performance.now();
	for (let i = 0; i < n; i++) op(i);
	return (performance.now() - start) / n;
}

const ms = (value: number) => value.toFixed(3);
const ratio = (ours: number, raw: number) => `${(ours / raw).toFixed(2)}×`;

function print(rows: string[][]): void {
	const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
	for (const [i, row] of rows.entries()) {
		process.stdout.write(`${row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')}\n`);
		if (i === 0) process.stdout.write(`${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
	}
	process.stdout.write(
		'fetch_key: sequential requests over loopback from the same process (client and server share 2 cores); ' +
			'raw = 2 Ed25519 verifies, G1+G2 point decoding + per id hash-to-G1, 3 G1 multiplies, 1 add.\n',
	);
}
