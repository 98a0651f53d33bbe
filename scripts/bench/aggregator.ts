/**
 * Aggregator bench: CPU per key of our committee aggregator next to a committee member's, at 1,
 * 10 and 100 ids per `fetch_key`, in the same run (issue 20 §3; no target yet: these figures set it).
 * - member: one 2-of-3 member (our key server in `!Committee` mode, mcl, inline) answering the
 *   aggregator's request directly (`Client-Sdk-Type: aggregator`): check + one ElGamal-wrapped
 *   share per id;
 * - aggregator: the whole aggregated request as the SDK sends it, with the three members in a
 *   CHILD process (tests/support/committee-members-child.ts), so this process's CPU is the
 *   aggregator's (PTB check, fan-out, verifying 2 members × ids shares with three pairings each,
 *   Lagrange combination) plus the loopback client's.
 * CPU time is `process.cpuUsage()` of this process (all its threads); both sides include the
 * client's HTTP work. 5 rounds, alternating order, medians; ratio = aggregator / member per round.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import { normalizeSuiAddress } from '@mysten/sui/utils';
import { startAggregator } from '../../ts/keyserver/aggregator/server.js';
import { parseVersionReq } from '../../ts/keyserver/aggregator/version-req.js';
import { loadCommitteeMemberKeys } from '../../ts/keyserver/committee/member-keys.js';
import { ALLOW, type PolicyEvaluator } from '../../ts/keyserver/evaluator.js';
import { StaticPackageResolver } from '../../ts/keyserver/packages.js';
import { startKeyServer } from '../../ts/keyserver/server.js';
import { formatTable, median, step } from './measure.js';

const ROUNDS = 5;
const THRESHOLD = 2;
const COUNT = 3;
const CLIENT = { 'Client-Sdk-Type': 'typescript', 'Client-Sdk-Version': '1.4.12' };
const AS_AGGREGATOR = { 'Client-Sdk-Type': 'aggregator', 'Client-Sdk-Version': '0.6.10' };

export async function run(): Promise<void> {
	const { dealShares, g2Of, shareHex } = await import('../../tests/support/committee-testbed.js');
	const { OfflineSuiRegistry, randomObjectId } =
		await import('../../tests/support/offline-sui-registry.js');
	const packageId = normalizeSuiAddress(randomBytes(32).toString('hex'));
	const { secret, shares } = dealShares(THRESHOLD, COUNT);
	const addresses = shares.map(() => randomObjectId());
	const objectId = randomObjectId();
	const committeeId = randomObjectId();
	const publicKey = g2Of(secret);

	step('aggregator: starting 3 committee members in a child process');
	const child = spawn(
		process.execPath,
		[
			'--no-warnings',
			'--import',
			'tsx',
			join(import.meta.dirname, '../../tests/support/committee-members-child.ts'),
		],
		{ stdio: ['pipe', 'pipe', 'inherit'] },
	);
	const ports = await new Promise<number[]>((resolve, reject) => {
		let out = '';
		child.stdout.on('data', (chunk: Buffer) => {
			out += chunk.toString('utf8');
			if (out.includes('\n')) resolve((JSON.parse(out) as { ports: number[] }).ports);
		});
		child.once('exit', (code) => reject(new Error(`members child exited (code ${code})`)));
		child.stdin.write(
			`${JSON.stringify({
				objectId,
				committeeId,
				packageId,
				threshold: THRESHOLD,
				publicKeyHex: Buffer.from(publicKey).toString('hex'),
				addresses,
				shares: shares.map(String),
			})}\n`,
		);
	});

	const registry = new OfflineSuiRegistry();
	registry.registerCommittee({
		name: 'bench-committee',
		publicKey,
		threshold: THRESHOLD,
		members: addresses,
		partialKeyServers: shares.map((share, i) => ({
			name: `member-${i}`,
			url: `http://127.0.0.1:${ports[i]}`,
			partialPk: g2Of(share),
			partyId: i,
		})),
		objectId,
		committeeId,
	});
	const packages = new StaticPackageResolver([[packageId, packageId]]);
	const allowAll: PolicyEvaluator = { evaluate: async () => ALLOW };
	const aggregator = await startAggregator({
		config: {
			keyServerObjectId: objectId,
			tsSdkVersionRequirement: parseVersionReq('>=0.10.0', 'ts'),
			rustSdkVersionRequirement: parseVersionReq('>=0.0.0', 'rust'),
			pythonSdkVersionRequirement: parseVersionReq('>=0.0.0', 'python'),
			keyServerVersionRequirement: parseVersionReq('>=0.6.2', 'ks'),
			keyServerTimeoutMs: 30_000,
			apiCredentials: new Map(
				shares.map((_, i) => [`member-${i}`, { apiKeyName: 'X-API-Key', apiKey: 'bench' }]),
			),
		},
		client: registry,
		packages,
		workers: 0,
	});
	const member = await startKeyServer({
		committee: await loadCommitteeMemberKeys({
			client: registry,
			config: {
				memberAddress: addresses[0]!,
				keyServerObjectId: objectId,
				state: { kind: 'Active' },
			},
			env: { MASTER_SHARE_V0: shareHex(shares[0]!) },
			backend: 'mcl',
			workers: 0,
		}),
		objectId,
		evaluator: allowAll,
		packages,
		workers: 0,
	});

	const rows: string[][] = [
		[
			'ids/request',
			'member CPU-ms/key',
			'aggregator CPU-ms/key',
			'aggregator/member',
			'aggregator keys/CPU-s',
		],
	];
	try {
		for (const ids of [1, 10, 100]) {
			step(`aggregator: ${ids} id(s) per request, ${ROUNDS} rounds`);
			const body = await buildBody(packageId, ids);
			const requests = ids === 1 ? 20 : ids === 10 ? 4 : 1;
			const measure = (url: string, headers: Record<string, string>) => async () => {
				const cpu = await cpuSeconds(async () => {
					for (let i = 0; i < requests; i++) await post(url, headers, body);
				});
				return (cpu * 1000) / (ids * requests);
			};
			const onMember = measure(member.url, AS_AGGREGATOR);
			const onAggregator = measure(aggregator.url, CLIENT);
			await onMember();
			await onAggregator();
			const rounds: [number, number][] = [];
			for (let round = 0; round < ROUNDS; round++) {
				if (round % 2 === 0) {
					const m = await onMember();
					rounds.push([m, await onAggregator()]);
				} else {
					const a = await onAggregator();
					rounds.push([await onMember(), a]);
				}
			}
			const m = median(rounds.map(([x]) => x));
			const a = median(rounds.map(([, y]) => y));
			rows.push([
				String(ids),
				m.toFixed(3),
				a.toFixed(3),
				`${median(rounds.map(([x, y]) => y / x)).toFixed(2)}×`,
				(1000 / a).toFixed(0),
			]);
		}
	} finally {
		await member.close();
		await aggregator.close();
		const exited = new Promise((resolve) => child.once('exit', resolve));
		child.stdin.end();
		const timer = setTimeout(() => child.kill('SIGTERM'), 5000);
		await exited;
		clearTimeout(timer);
	}
	process.stdout.write(formatTable(rows));
	process.stdout.write(
		`\n2-of-3 committee; the aggregator verifies each of the ${THRESHOLD} counted answers (batch ` +
			`check: 3 pairings per answer, share by share only if it fails) and combines them; no ` +
			`target yet (information). CPU time = process.cpuUsage() of the ` +
			`bench process, members of the aggregated request in a child process; ${ROUNDS} rounds, ` +
			`alternating order, medians; ratio per round.\n`,
	);
}

async function buildBody(packageId: string, ids: number): Promise<string> {
	const { handRequest } = await import('../../tests/support/fetch-key-request.js');
	const tx = new Transaction();
	for (let i = 0; i < ids; i++) {
		tx.moveCall({
			target: `${packageId}::policy::seal_approve`,
			arguments: [tx.pure.vector('u8', Array.from(randomBytes(16)))],
		});
	}
	const txBytes = await tx.build({ onlyTransactionKind: true });
	const { body } = await handRequest({
		user: Ed25519Keypair.generate(),
		packageId,
		txBytes,
		ttlMin: 30,
	});
	return JSON.stringify(body);
}

async function post(url: string, headers: Record<string, string>, body: string): Promise<void> {
	const res = await fetch(`${url}/v1/fetch_key`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', ...headers },
		body,
	});
	if (res.status !== 200) throw new Error(`fetch_key answered ${res.status}: ${await res.text()}`);
	await res.arrayBuffer();
}

async function cpuSeconds(work: () => Promise<void>): Promise<number> {
	const before = process.cpuUsage();
	await work();
	const used = process.cpuUsage(before);
	return (used.user + used.system) / 1e6;
}
