/**
 * Process handling of `localnet up` with real child processes (shell scripts standing in for
 * `sui` and key servers): minimal environments, and a child that exits is reported at once with
 * its exit code and log tail, everything is stopped and `status` says failed. No chain is faked:
 * these children never answer RPC; what is tested is how we react to them dying.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { LocalnetError } from '../../../ts/localnet/errors.js';
import { keyServerChildEnv, mystenKeyServerCommand } from '../../../ts/localnet/keyservers.js';
import { portInUse } from '../../../ts/localnet/ports.js';
import {
	childEnvironment,
	isAlive,
	logTail,
	spawnDetached,
	stopProcess,
} from '../../../ts/localnet/processes.js';
import { readLocalnetState, writeLocalnetState } from '../../../ts/localnet/state.js';
import { formatStatus, localnetStatus } from '../../../ts/localnet/status.js';
import { localnetUp } from '../../../ts/localnet/up.js';
import { StackWatch } from '../../../ts/localnet/watch.js';
import { waitFor } from '../../../ts/localnet/wait.js';
import { silentLogger } from '../../../ts/logger.js';

let dir: string;
beforeEach(async () => {
	dir = await mkdtemp(join(tmpdir(), 'localnet-proc-'));
});
afterEach(async () => {
	await rm(dir, { recursive: true, force: true });
});

/** An executable shell script in the temp dir. */
async function script(name: string, body: string): Promise<string> {
	const file = join(dir, name);
	await writeFile(file, `#!/bin/sh\n${body}\n`);
	await chmod(file, 0o755);
	return file;
}

/** Prints `line 1` … `line n` to stdout and stderr alternately. */
const PRINT_LINES = (n: number) =>
	`i=1; while [ $i -le ${n} ]; do if [ $((i % 2)) -eq 0 ]; then echo "line $i" >&2; else echo "line $i"; fi; i=$((i+1)); done`;

describe('child environments are built up, not filtered down', () => {
	const parent = {
		PATH: '/usr/bin:/bin',
		HOME: '/home/u',
		NODE_URL: 'http://elsewhere:9000',
		SUI_PRIVATE_KEY: 'suiprivkey1secret',
		SEAL_CONFIG: '/x/config.yaml',
		RUST_LOG: 'info',
		AWS_SECRET_ACCESS_KEY: 'nope',
	};

	it('gives PATH, HOME, the named pass-through variables and the child’s own', () => {
		expect(childEnvironment(parent, { SUI_CONFIG_DIR: '/c' })).toEqual({
			PATH: '/usr/bin:/bin',
			HOME: '/home/u',
			SUI_CONFIG_DIR: '/c',
		});
		expect(childEnvironment(parent, {}, ['RUST_LOG', 'UNSET_VAR'])).toEqual({
			PATH: '/usr/bin:/bin',
			HOME: '/home/u',
			RUST_LOG: 'info',
		});
		// The child's own value wins over an inherited one.
		expect(childEnvironment(parent, { PATH: '/opt/bin' }).PATH).toBe('/opt/bin');
	});

	it("Mysten's key server never sees NODE_URL (it panics when its YAML sets node_url)", () => {
		const spec = mystenKeyServerCommand({
			launch: {
				name: 'ks1',
				objectId: `0x${'4b'.repeat(32)}`,
				url: 'http://127.0.0.1:2024',
				port: 2024,
				masterKeyHex: 'ab'.repeat(32),
			},
			binary: '/bin/key-server',
			configPath: '/c.yaml',
		});
		const env = keyServerChildEnv(parent, spec.env);
		expect(env).toEqual({
			PATH: '/usr/bin:/bin',
			HOME: '/home/u',
			RUST_LOG: 'info',
			CONFIG_PATH: '/c.yaml',
			MASTER_KEY: 'ab'.repeat(32),
			PORT: '2024',
		});
	});

	it('a real child sees exactly that environment', async () => {
		const dump = await script('dump-env.sh', 'env | sort');
		const logFile = join(dir, 'env.log');
		const child = await spawnDetached({
			part: 'probe',
			command: dump,
			args: [],
			env: childEnvironment({ ...parent, PATH: process.env['PATH'] }, { OWN: '1' }),
			cwd: dir,
			logFile,
		});
		expect(await child.exited).toEqual({ code: 0, signal: null });
		const names = (await readFile(logFile, 'utf8'))
			.split('\n')
			.filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
			.map((line) => line.slice(0, line.indexOf('=')));
		// The shell itself may add PWD/SHLVL/_; nothing of the parent's beyond PATH and HOME.
		expect(names).toEqual(expect.arrayContaining(['HOME', 'OWN', 'PATH']));
		for (const leaked of ['NODE_URL', 'SUI_PRIVATE_KEY', 'SEAL_CONFIG', 'AWS_SECRET_ACCESS_KEY'])
			expect(names).not.toContain(leaked);
	});
});

describe('StackWatch', () => {
	it('reports a child that exits: part, exit code and the last 20 lines of its log', async () => {
		const sui = await script('sui', `${PRINT_LINES(30)}; exit 3`);
		const logFile = join(dir, 'sui.log');
		const watch = new StackWatch();
		const child = await spawnDetached({
			part: 'node',
			command: sui,
			args: [],
			env: childEnvironment(process.env, {}),
			cwd: dir,
			logFile,
		});
		watch.watch('node', 'sui', child, logFile);
		const pending = new Promise<void>(() => undefined);
		const started = Date.now();
		const error = await watch.guard(pending).catch((e: unknown) => e);
		expect(Date.now() - started).toBeLessThan(5_000);
		expect(error).toBeInstanceOf(LocalnetError);
		const message = (error as LocalnetError).message;
		const [headline, ...tail] = message.split('\n');
		expect(headline).toMatch(
			new RegExp(
				`^node: sui \\(pid ${child.pid}\\) exited with code 3 .*last 20 lines of ${logFile}:$`,
			),
		);
		expect(tail).toHaveLength(20);
		expect(tail[0]).toBe('line 11');
		expect(tail[19]).toBe('line 30');
		expect(watch.failure).toBe(error);
		expect(watch.signal.aborted).toBe(true);
	});

	it('stops a wait at once instead of letting it run into its timeout', async () => {
		const ks = await script('ks', 'echo "panicked at NODE_URL"; sleep 0.3; exit 101');
		const logFile = join(dir, 'ks.log');
		const watch = new StackWatch();
		const child = await spawnDetached({
			part: 'ks1',
			command: ks,
			args: [],
			env: {},
			cwd: dir,
			logFile,
		});
		watch.watch('ks1', 'key server', child, logFile);
		const started = Date.now();
		const waited = waitFor('ks1', 'key server', async () => undefined, {
			timeoutMs: 60_000,
			intervalMs: 50,
			signal: watch.signal,
		});
		await expect(waited).rejects.toThrow(/ks1: key server \(pid \d+\) exited with code 101/);
		await expect(waited).rejects.toThrow(/panicked at NODE_URL/);
		expect(Date.now() - started).toBeLessThan(5_000);
	});

	it('after close(), a child stopped on purpose is not reported', async () => {
		const sleeper = await script('sleeper', 'sleep 30');
		const logFile = join(dir, 's.log');
		const watch = new StackWatch();
		const child = await spawnDetached({
			part: 'node',
			command: sleeper,
			args: [],
			env: childEnvironment(process.env, {}),
			cwd: dir,
			logFile,
		});
		watch.watch('node', 'sui', child, logFile);
		watch.close();
		expect(await stopProcess(child.pid, { graceMs: 2_000 })).toBe(true);
		await child.exited;
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(watch.signal.aborted).toBe(false);
		expect(isAlive(child.pid)).toBe(false);
	});

	it('logTail keeps short logs whole and says when a log is empty or missing', async () => {
		const file = join(dir, 'short.log');
		await writeFile(file, 'a\nb\n');
		expect(await logTail(file)).toBe('a\nb');
		await writeFile(file, '');
		expect(await logTail(file)).toBe('(the log is empty)');
		expect(await logTail(join(dir, 'missing.log'))).toMatch(/^\(cannot read /);
	});
});

describe('localnet up with a sui that dies', () => {
	/** `up` needs 9000 and 9123 free; on a machine where they are taken the test cannot run. */
	async function portsFree(): Promise<boolean> {
		return !(await portInUse(9000)) && !(await portInUse(9123));
	}

	it.for([
		['exits at once', `${PRINT_LINES(25)}; exit 1`, 1, 'line 25'],
		['exits while the node should come up', `${PRINT_LINES(3)}; sleep 1; exit 2`, 2, 'line 3'],
	] as const)(
		'reports a sui that %s within seconds; status says failed',
		async ([, body, code, lastLine], context) => {
			if (!(await portsFree())) {
				context.skip('127.0.0.1:9000 or :9123 is in use on this machine; cannot run `up`');
			}
			const sui = await script('sui', body);
			const started = Date.now();
			const error = await localnetUp({
				root: dir,
				env: { PATH: process.env['PATH'], HOME: dir, SUI_BIN: sui, NODE_URL: 'http://x' },
				logger: silentLogger,
				basePort: 29_400,
			}).catch((e: unknown) => e);
			expect(Date.now() - started).toBeLessThan(15_000);
			expect(error).toBeInstanceOf(LocalnetError);
			const message = (error as LocalnetError).message;
			const logFile = join(dir, '.localnet', 'logs', 'sui.log');
			expect(message.split('\n')[0]).toMatch(
				new RegExp(`^node: sui \\(pid \\d+\\) exited with code ${code} .*${logFile}:$`),
			);
			expect(message).not.toMatch(/fetch failed|did not answer/);
			expect(message.split('\n').at(-1)).toBe(lastLine);
			expect(message).not.toContain('line 5\n');

			const state = await readLocalnetState(join(dir, '.localnet', 'state.json'));
			expect(state?.node.pid).toBeUndefined();
			expect(state?.failure?.part).toBe('node');
			const status = await localnetStatus({ root: dir });
			expect(status.health).toBe('failed');
			expect(status.failure).toContain(`exited with code ${code}`);
			expect(formatStatus(status).split('\n')[0]).toMatch(/^localnet: FAILED — node: sui/);
		},
	);
});

describe('localnet status', () => {
	it('says failed, with the log tail, when a recorded process has died since `up`', async () => {
		const logFile = join(dir, 'ks2.log');
		await writeFile(logFile, 'starting\nthread main panicked\n');
		const stateFile = join(dir, '.localnet', 'state.json');
		const alive = await spawnDetached({
			part: 'node',
			command: await script('sleeper', 'sleep 30'),
			args: [],
			env: {},
			cwd: dir,
			logFile: join(dir, 'node.log'),
		});
		try {
			await writeLocalnetState(stateFile, {
				version: 1,
				startedAt: '2026-01-01T00:00:00.000Z',
				rpcUrl: 'http://127.0.0.1:1',
				faucetUrl: 'http://127.0.0.1:1/gas',
				chainId: 'abcd1234',
				node: { pid: alive.pid, logFile: join(dir, 'node.log') },
				sealPackageId: undefined,
				sealReleaseTag: 'x',
				policyPackageId: undefined,
				threshold: 1,
				admin: undefined,
				keyServers: [
					{
						name: 'localnet-key-server-2',
						objectId: `0x${'2'.repeat(64)}`,
						url: 'http://127.0.0.1:1',
						port: 1,
						pid: 2 ** 30, // above pid_max: cannot exist
						implementation: 'harness',
						logFile,
					},
				],
			});
			const status = await localnetStatus({ root: dir });
			expect(status.health).toBe('failed');
			expect(status.failure?.split('\n')[0]).toBe(
				`localnet-key-server-2: key server (pid ${2 ** 30}) is no longer running; last 20 lines of ${logFile}:`,
			);
			expect(status.failure).toContain('thread main panicked');
		} finally {
			await stopProcess(alive.pid, { graceMs: 1_000 });
		}
	});
});
