/**
 * `keyserver start` as a user meets it: every flag checked up front and named as a flag, ids by
 * the same rule as every other command, both ports bound before anything is announced, one start
 * line, and a warning when the full node does not answer.
 */
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { describe, expect, it } from 'vitest';

import { createCliIo, type CliIo } from '../../../scripts/cli-io.js';
import { command } from '../../../scripts/commands/keyserver.js';
import { UsageError } from '../../../ts/errors.js';
import { KeyServerStartError } from '../../../ts/keyserver/errors.js';
import { generateMasterKey } from '../../../ts/keyserver/keys.js';

const ID = `0x${'12'.repeat(32)}`;
const NODE = 'http://127.0.0.1:9';
const BASE = ['start', '--object-id', ID, '--node-url', NODE];

function recordingIo(env: NodeJS.ProcessEnv = {}) {
	const lines: string[] = [];
	const results: unknown[] = [];
	const io: CliIo = {
		...createCliIo({ json: true, verbose: false, env }),
		logger: {
			info: (m) => void lines.push(m),
			warn: (m) => void lines.push(`warning: ${m}`),
			debug: () => {},
		},
		result: (value) => void results.push(value),
	};
	return { io, lines, results };
}

async function failure(args: string[], env: NodeJS.ProcessEnv = {}) {
	const { io, lines, results } = recordingIo(env);
	const error = await command.run(args, io).then(
		() => undefined,
		(e: unknown) => e,
	);
	if (!(error instanceof Error)) throw new Error(`${args.join(' ')} did not fail`);
	return { error, lines, results };
}

describe('every start flag is checked before anything runs, and named as a flag (exit 2)', () => {
	const cases: [string[], string][] = [
		[[...BASE, '--backend', 'foo'], "--backend: expected one of mcl, noble, got 'foo'"],
		[[...BASE, '--check-node', 'maybe'], "--check-node: expected warn, fail or off, got 'maybe'"],
		[
			['start', '--object-id', 'xyz', '--node-url', NODE],
			'--object-id: expected 0x followed by exactly 64 hex digits',
		],
		[
			['start', '--object-id', '0x1', '--node-url', NODE],
			'--object-id: expected 0x followed by exactly 64 hex digits',
		],
		[
			['start', '--object-id', ID, '--node-url', 'notaurl'],
			"--node-url: expected an http(s) URL such as http://127.0.0.1:9000, got 'notaurl'",
		],
		[
			[...BASE, '--seal-package', 'foo'],
			'--seal-package: expected 0x followed by exactly 64 hex digits',
		],
		[
			[...BASE, '--network', 'mars'],
			"--network: unknown network 'mars'; use one of localnet, devnet, testnet, mainnet",
		],
		[[...BASE, '--workers', '-1'], "--workers: expected an integer in 0..256, got '-1'"],
		[[...BASE, '--port', '-5'], "--port: expected an integer in 0..65535, got '-5'"],
		[[...BASE, '--transport', 'pigeon'], "--transport: expected 'grpc' or 'jsonrpc', got 'pigeon'"],
	];
	for (const [args, message] of cases) {
		it(args.slice(5).join(' ') || args.join(' '), async () => {
			// No master key is set: a check that ran later would complain about it instead.
			const { error } = await failure(args);
			expect(error).toBeInstanceOf(UsageError);
			expect(error.message).toBe(message);
		});
	}

	it('PORT from the environment is named as PORT', async () => {
		const { error } = await failure(BASE, { PORT: 'many' });
		expect(error.message).toBe("PORT: expected an integer in 0..65535, got 'many'");
	});
});

async function occupiedPort(): Promise<{ port: number; server: Server }> {
	const server = createServer();
	await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
	return { port: (server.address() as AddressInfo).port, server };
}

async function isFree(port: number): Promise<boolean> {
	const probe = createServer();
	return new Promise((done) => {
		probe.once('error', () => done(false));
		probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
	});
}

describe('port clashes: both ports bound before anything is announced', () => {
	const key = () => ({ MASTER_KEY: Buffer.from(generateMasterKey()).toString('hex') });
	const quiet = ['--check-node', 'off', '--workers', '0'];

	it('a taken metrics port names --metrics-port and nothing was announced', async () => {
		const taken = await occupiedPort();
		try {
			const { error, lines, results } = await failure(
				[...BASE, ...quiet, '--port', '0', '--metrics-port', String(taken.port)],
				key(),
			);
			expect(error).toBeInstanceOf(KeyServerStartError);
			expect(error.message).toMatch(
				new RegExp(
					`^cannot listen for metrics on 127\\.0\\.0\\.1:${taken.port}: .*EADDRINUSE.*: choose another port with --metrics-port <n>, or --metrics-port off$`,
				),
			);
			expect(results).toEqual([]);
			expect(lines.filter((line) => /listening|key server/.test(line))).toEqual([]);
		} finally {
			taken.server.close();
		}
	});

	it('a taken key-server port names --port, and the metrics port is released again', async () => {
		const taken = await occupiedPort();
		const metrics = await occupiedPort();
		const metricsPort = metrics.port;
		await new Promise((done) => metrics.server.close(done));
		try {
			const { error, results } = await failure(
				[...BASE, ...quiet, '--port', String(taken.port), '--metrics-port', String(metricsPort)],
				key(),
			);
			expect(error).toBeInstanceOf(KeyServerStartError);
			expect(error.message).toMatch(/EADDRINUSE.*: choose another port with --port <n>$/);
			expect(results).toEqual([]);
			expect(await isFree(metricsPort)).toBe(true);
		} finally {
			taken.server.close();
		}
	});
});

describe('a dead full node, through the real entry point', () => {
	it('warns by default (no --check-node), then announces the server exactly once', async () => {
		const root = resolve(import.meta.dirname, '..', '..', '..');
		const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
		const child = spawn(
			process.execPath,
			[
				'--import',
				tsx,
				join(root, 'scripts', 'cli.ts'),
				'keyserver',
				...BASE,
				'--port',
				'0',
				'--metrics-port',
				'off',
				'--workers',
				'0',
			],
			{
				env: {
					PATH: process.env['PATH'],
					MASTER_KEY: Buffer.from(generateMasterKey()).toString('hex'),
				},
				stdio: ['ignore', 'pipe', 'pipe'],
			},
		);
		let out = '';
		child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
		const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
		try {
			const deadline = Date.now() + 60_000;
			while (!/ at http:\/\/127\.0\.0\.1:\d+/.test(out) && Date.now() < deadline) {
				if (child.exitCode !== null) break;
				await new Promise((done) => setTimeout(done, 100));
			}
			const url = / at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
			expect(url, out).toBeDefined();
			expect(out).toMatch(/^warning: full node http:\/\/127\.0\.0\.1:9: unreachable/m);
			const mentions = out.split('\n').filter((line) => line.includes(url ?? '?'));
			expect(mentions).toHaveLength(1);
		} finally {
			child.kill('SIGTERM');
			expect(await exited, out).toBe(0);
		}
	}, 90_000);
});
