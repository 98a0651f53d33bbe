/**
 * `seal-policies keyserver genkey|start`: our TypeScript Seal key server (ts/keyserver).
 * `genkey` prints a new master key and its public key; `start` serves Mysten's HTTP API with
 * the master key taken only from the environment, evaluating policies on a Sui full node.
 */
import { InvalidInputError, UsageError } from '../../ts/errors.js';
import { NodeEvaluator } from '../../ts/keyserver/evaluator.js';
import {
	generateMasterKey,
	parseMasterKeyHex,
	publicKeyFromMasterKey,
} from '../../ts/keyserver/keys.js';
import { NodePackageResolver } from '../../ts/keyserver/packages.js';
import { startKeyServer } from '../../ts/keyserver/server.js';
import { createSuiClient, parseSuiTransport } from '../../ts/sui-client.js';
import { parseCommandArgs, rejectPositionals, usageErrors } from '../args.js';
import type { CliIo, Command } from '../cli-io.js';

/** Environment variables holding the master key (first one set wins; never printed). */
export const MASTER_KEY_ENV = ['SEAL_KEYSERVER_MASTER_KEY', 'MASTER_KEY'] as const;

const USAGE = `usage:
  seal-policies keyserver genkey [--json]
      Generate a master key. PRINTS THE SECRET MASTER KEY (hex) and the public key (96-byte G2,
      hex) to stdout — that is its purpose. Store the master key in a secret store, register the
      public key on chain with key_server::create_and_transfer_v2_independent_server.

  seal-policies keyserver start --object-id <0x…> --node-url <url> [options]
      Serve the Seal key-server API (GET /v1/service, POST /v1/fetch_key, GET /health).
      The master key is read ONLY from the environment: SEAL_KEYSERVER_MASTER_KEY (or MASTER_KEY,
      Mysten's name), 64 hex chars, optional 0x. It is never logged or written.
      --object-id <id>         on-chain KeyServer object id registered with this key's public key
      --node-url <url>         Sui full node for policy simulation (e.g. http://127.0.0.1:9000)
      --seal-package <id>      Seal package (published-at) id: run seal::time::check_staleness first
      --transport grpc|jsonrpc full-node API (default grpc; jsonrpc = dry run)
      --network <name>         network label for the Sui client (default localnet)
      --host <host>            listen address (default 127.0.0.1)
      --port <n>               listen port (default 2024)
      --ttl-max-minutes <n>    longest session TTL accepted (default 30)
      Runs until SIGINT/SIGTERM.`;

export const command: Command = {
	summary: 'genkey | start: our TypeScript Seal key server',
	usage: USAGE,
	async run(args, io) {
		const [sub, ...rest] = args;
		if (sub === 'genkey') return genkey(rest, io);
		if (sub === 'start') return start(rest, io);
		throw new UsageError('subcommand', `expected 'genkey' or 'start', got '${sub ?? ''}'`);
	},
};

async function genkey(args: string[], io: CliIo): Promise<number> {
	if (args.length > 0)
		throw new UsageError('genkey', `takes no arguments, got '${args.join(' ')}'`);
	const masterKey = generateMasterKey();
	const hex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString('hex')}`;
	const result = { masterKey: hex(masterKey), publicKey: hex(publicKeyFromMasterKey(masterKey)) };
	masterKey.fill(0);
	io.result(result, `Master key: ${result.masterKey}\nPublic key: ${result.publicKey}`);
	return 0;
}

async function start(args: string[], io: CliIo): Promise<number> {
	const { values, positionals } = parseCommandArgs(
		args,
		{
			'object-id': { type: 'string' },
			'node-url': { type: 'string' },
			'seal-package': { type: 'string' },
			transport: { type: 'string', default: 'grpc' },
			network: { type: 'string', default: 'localnet' },
			host: { type: 'string', default: '127.0.0.1' },
			port: { type: 'string', default: '2024' },
			'ttl-max-minutes': { type: 'string', default: '30' },
		},
		USAGE,
	);
	rejectPositionals(positionals, USAGE);
	const objectId = required(values['object-id'], 'object-id');
	const nodeUrl = required(values['node-url'], 'node-url');
	const port = integer(values.port, 'port', 0, 65535);
	const ttlMaxMinutes = integer(values['ttl-max-minutes'], 'ttl-max-minutes', 1, 24 * 60);
	const masterKey = takeMasterKeyFromEnv(io.env);

	const client = createSuiClient({
		network: values.network,
		rpcUrl: nodeUrl,
		transport: usageErrors(() => parseSuiTransport(values.transport)),
	});
	const sealPackageId = values['seal-package'];
	if (!sealPackageId) {
		io.logger.warn('no --seal-package: the staleness check (seal::time) is skipped');
	}
	const server = await startKeyServer({
		masterKey,
		objectId,
		evaluator: new NodeEvaluator({ client, ...(sealPackageId ? { sealPackageId } : {}) }),
		packages: new NodePackageResolver(client),
		host: values.host,
		port,
		ttlMaxMinutes,
		logger: io.logger,
		suiClient: client,
	});
	masterKey.fill(0);
	io.result(
		{ url: server.url, objectId: server.objectId, publicKey: server.publicKey },
		`Seal key server ${server.objectId} at ${server.url} (public key 0x${Buffer.from(server.publicKey).toString('hex')})`,
	);
	await new Promise<void>((resolve) => {
		const stop = () => resolve();
		process.once('SIGINT', stop);
		process.once('SIGTERM', stop);
	});
	io.logger.info('stopping key server');
	await server.close();
	return 0;
}

/** Reads the master key and removes it from `env`, so children of this process never inherit it. */
export function takeMasterKeyFromEnv(env: NodeJS.ProcessEnv): Uint8Array {
	const masterKey = masterKeyFromEnv(env);
	for (const name of MASTER_KEY_ENV) delete env[name];
	return masterKey;
}

/** The master key from the environment; its value never appears in errors or output. */
export function masterKeyFromEnv(env: NodeJS.ProcessEnv): Uint8Array {
	for (const name of MASTER_KEY_ENV) {
		const value = env[name];
		if (value === undefined || value === '') continue;
		try {
			return parseMasterKeyHex(value);
		} catch (error) {
			throw new InvalidInputError(name, 'is not a valid master key (64 hex chars, optional 0x)', {
				cause: error,
			});
		}
	}
	throw new InvalidInputError(
		MASTER_KEY_ENV[0],
		`not set: export ${MASTER_KEY_ENV[0]}=<hex> (from 'seal-policies keyserver genkey')`,
	);
}

function required(value: string | undefined, name: string): string {
	if (!value)
		throw new UsageError(`--${name}`, `is required (see 'seal-policies keyserver --help')`);
	return value;
}

function integer(value: string, name: string, min: number, max: number): number {
	const n = Number(value);
	if (!Number.isInteger(n) || n < min || n > max) {
		throw new UsageError(`--${name}`, `expected an integer in ${min}..${max}, got '${value}'`);
	}
	return n;
}
