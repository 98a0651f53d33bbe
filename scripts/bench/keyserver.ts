/**
 * Key-server bench: `fetch_key` over loopback HTTP against in-process servers, in the same run:
 * 1. keys per CPU-second at 1, 10 and 100 ids per request, mcl backend vs noble backend
 *    (inline derivation, `workers: 0`), ratio mcl / noble per round (targets: ≥ 5× at 100 ids,
 *    ≥ 2× at 1; judged by the one verdict rule of ./measure.ts on the per-round ratios);
 * 2. 1 vs 2 worker threads (mcl) under 2 concurrent 100-id requests: keys per wall-second
 *    (what more workers buy) and keys per CPU-second (what they cost); information, no target.
 * CPU time is `process.cpuUsage()` (all threads of this process: server, workers and the
 * client's HTTP side). Each measurement alternates the compared variants, 5 rounds, median.
 */
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Transaction } from '@mysten/sui/transactions';
import { normalizeSuiAddress } from '@mysten/sui/utils';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { CurveBackendName } from '../../ts/keyserver/curve/curve.js';
import { FixedEvaluator } from '../../ts/keyserver/evaluator.js';
import { generateMasterKey } from '../../ts/keyserver/keys.js';
import { StaticPackageResolver } from '../../ts/keyserver/packages.js';
import { startKeyServer, type RunningKeyServer } from '../../ts/keyserver/server.js';
import { formatTable, median, step, verdict, type Target } from './measure.js';

const ROUNDS = 5;
/** The worker comparison is information only: fewer, smaller rounds keep the run short. */
const WORKER_ROUNDS = 3;
const CONCURRENT = 2;
const HEADERS = {
	'Content-Type': 'application/json',
	'Client-Sdk-Type': 'typescript',
	'Client-Sdk-Version': '1.4.12',
};

export async function run(): Promise<void> {
	const packageId = normalizeSuiAddress(randomBytes(32).toString('hex'));
	const policy = new FixedEvaluator();
	const masterKey = generateMasterKey();
	const start = (curveBackend: CurveBackendName, workers: number) =>
		startKeyServer({
			masterKey,
			objectId: normalizeSuiAddress(randomBytes(32).toString('hex')),
			evaluator: policy,
			packages: new StaticPackageResolver([[packageId, packageId]]),
			curveBackend,
			workers,
		});
	const bodies = new Map<number, string>();
	for (const ids of [1, 10, 100]) bodies.set(ids, await buildBody(packageId, ids, policy));

	// --- 1. mcl vs noble, keys per CPU-second
	const rows: string[][] = [
		['ids/request', 'mcl keys/CPU-s', 'noble keys/CPU-s', 'verdict mcl/noble'],
	];
	const mcl = await start('mcl', 0);
	const noble = await start('noble', 0);
	let mclAt100 = '';
	try {
		for (const [ids, target] of [
			[1, 2],
			[10, undefined],
			[100, 5],
		] as const) {
			step(`keyserver: mcl vs noble, ${ids} id(s) per request, ${ROUNDS} rounds`);
			const body = bodies.get(ids)!;
			const requests = ids === 1 ? 20 : ids === 10 ? 4 : 1;
			const measure = (server: RunningKeyServer) => async () => {
				const cpu = await cpuSeconds(async () => {
					for (let i = 0; i < requests; i++) await post(server, body);
				});
				return (ids * requests) / cpu;
			};
			await post(mcl, body);
			await post(noble, body);
			const rounds = await alternate(measure(mcl), measure(noble));
			const fast = median(rounds.map(([a]) => a)).toFixed(0);
			if (ids === 100) mclAt100 = fast;
			rows.push([
				String(ids),
				fast,
				median(rounds.map(([, b]) => b)).toFixed(0),
				ratioVerdict(
					rounds.map(([a, b]) => a / b),
					target,
				),
			]);
		}
	} finally {
		await Promise.all([mcl.close(), noble.close()]);
	}
	print(rows);

	// --- 2. 1 vs 2 workers (mcl), 4 concurrent 100-id requests
	const one = await start('mcl', 1);
	const two = await start('mcl', 2);
	const workerRows: string[][] = [['workers', 'keys/wall-s', 'keys/CPU-s']];
	step(
		`keyserver: 1 vs 2 workers, ${CONCURRENT} concurrent 100-id requests, ${WORKER_ROUNDS} rounds`,
	);
	try {
		const body = bodies.get(100)!;
		const concurrent = CONCURRENT;
		const measure = (server: RunningKeyServer) => async () => {
			const started = performance.now();
			const cpu = await cpuSeconds(() =>
				Promise.all(Array.from({ length: concurrent }, () => post(server, body))).then(() => {}),
			);
			const wall = (performance.now() - started) / 1000;
			return [(100 * concurrent) / wall, (100 * concurrent) / cpu] as const;
		};
		await post(one, body);
		await post(two, body);
		const results: { one: (readonly [number, number])[]; two: (readonly [number, number])[] } = {
			one: [],
			two: [],
		};
		for (let round = 0; round < WORKER_ROUNDS; round++) {
			// Alternate which variant goes first.
			const order = round % 2 === 0 ? (['one', 'two'] as const) : (['two', 'one'] as const);
			for (const name of order) results[name].push(await measure(name === 'one' ? one : two)());
		}
		const wallOne = median(results.one.map(([wall]) => wall));
		const wallTwo = median(results.two.map(([wall]) => wall));
		const cpuOne = median(results.one.map(([, cpu]) => cpu));
		const cpuTwo = median(results.two.map(([, cpu]) => cpu));
		workerRows.push(['1', wallOne.toFixed(0), cpuOne.toFixed(0)]);
		workerRows.push(['2', wallTwo.toFixed(0), cpuTwo.toFixed(0)]);
		workerRows.push([
			'ratio 2/1',
			`${(wallTwo / wallOne).toFixed(2)}×`,
			`${(cpuTwo / cpuOne).toFixed(2)}×`,
		]);
	} finally {
		await Promise.all([one.close(), two.close()]);
	}
	process.stdout.write('\n1 vs 2 worker threads (information, no target):\n');
	print(workerRows);
	process.stdout.write(
		`\nmcl, 100 ids/request: ${mclAt100} keys per CPU-second (the table's figure: one fully busy core ` +
			`derives about that many keys per second; this machine: ${availableParallelism()} cores, shared; ` +
			`wall-clock gains from workers need idle cores).\n` +
			`CPU time = process.cpuUsage() over all threads (server, workers, loopback client); ` +
			`${ROUNDS} rounds, alternating order, medians.\n`,
	);
}

/** The verdict on per-round mcl/noble ratios, or a note where there is no target. */
export function ratioVerdict(ratios: readonly number[], target: number | undefined): string {
	if (target === undefined) {
		return `${median(ratios.map((r) => Number(r.toFixed(2)))).toFixed(2)}× (no target)`;
	}
	const goal: Target = { bound: 'at least', value: target, unit: '×', digits: 2 };
	return verdict(ratios, goal).text;
}

async function buildBody(packageId: string, ids: number, policy: FixedEvaluator): Promise<string> {
	const { handRequest } = await import('../../tests/support/fetch-key-request.js');
	const tx = new Transaction();
	for (let i = 0; i < ids; i++) {
		const inner = randomBytes(16);
		policy.allow(inner.toString('hex'));
		tx.moveCall({
			target: `${packageId}::policy::seal_approve`,
			arguments: [tx.pure.vector('u8', Array.from(inner))],
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

async function post(server: RunningKeyServer, body: string): Promise<void> {
	const res = await fetch(`${server.url}/v1/fetch_key`, { method: 'POST', headers: HEADERS, body });
	if (res.status !== 200) throw new Error(`fetch_key answered ${res.status}: ${await res.text()}`);
	await res.arrayBuffer();
}

async function cpuSeconds(work: () => Promise<void>): Promise<number> {
	const before = process.cpuUsage();
	await work();
	const used = process.cpuUsage(before);
	return (used.user + used.system) / 1e6;
}

/** Alternates a and b (a first in even rounds, b first in odd ones); each round's pair. */
async function alternate(
	a: () => Promise<number>,
	b: () => Promise<number>,
): Promise<[number, number][]> {
	const rounds: [number, number][] = [];
	for (let round = 0; round < ROUNDS; round++) {
		if (round % 2 === 0) {
			const first = await a();
			rounds.push([first, await b()]);
		} else {
			const second = await b();
			rounds.push([await a(), second]);
		}
	}
	return rounds;
}

function print(rows: string[][]): void {
	process.stdout.write(formatTable(rows));
}
