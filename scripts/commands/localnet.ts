/**
 * `seal-policies localnet up|down|status`: a local Sui network with t-of-n Seal key servers and
 * both packages published, for the e2e suites and the CLI (`.env.localnet`).
 */
import { InvalidInputError, LocalnetError } from '../../ts/errors.js';
import { normalizeObjectId } from '../../ts/identity.js';
import { localnetPaths } from '../../ts/localnet/paths.js';
import { findSuiBinary } from '../../ts/move/sui-binary.js';
import { readLocalnetState } from '../../ts/localnet/state.js';
import { createSuiClient } from '../../ts/sui-client.js';
import { localnetDown } from '../../ts/localnet/down.js';
import { formatStatus, localnetStatus } from '../../ts/localnet/status.js';
import {
	DEFAULT_KEY_SERVER_PORT,
	DEFAULT_SERVER_COUNT,
	DEFAULT_THRESHOLD,
	fundFromFaucet,
	localnetUp,
} from '../../ts/localnet/up.js';
import type { Command } from '../cli-io.js';
import { parseCommandArgs, parsePositiveInt, usageErrors } from '../args.js';

const USAGE = `usage: seal-policies localnet up|down|status|fund [options]

  up       start \`sui start --with-faucet --force-regenesis\` (config in .localnet/), fund an admin,
           publish Mysten's Seal package (pinned tag, cloned once) and seal_policies, register and
           start the key servers, write deployments/localnet.json and .env.localnet
  down     stop every process \`up\` started (logs and records stay)
  status   each part: process running, answering
  fund ADDRESS   send faucet SUI to ADDRESS (e.g. your SUI_PRIVATE_KEY's address)

options (up):
  --server-count N key servers (default ${DEFAULT_SERVER_COUNT}; \`--servers\` elsewhere is a list
                   of key-server ids)
  --threshold T    threshold written to .env.localnet (default ${DEFAULT_THRESHOLD})
  --port P         first key-server port (default ${DEFAULT_KEY_SERVER_PORT}; server i uses P+i)
  --install-sui    when no \`sui\` is found, run \`seal-policies sui install\` first (without
                   it, a missing \`sui\` stops the command at once, before anything starts)

needs: a \`sui\` binary (SUI_BIN, \`seal-policies sui install\`, or PATH) and git. SEAL_KEY_SERVER_BIN=<path> runs Mysten's
key-server binary instead of ours. Master keys exist only in the key-server processes' env.`;

const OPTIONS = {
	'server-count': { type: 'string' },
	threshold: { type: 'string' },
	port: { type: 'string' },
	'install-sui': { type: 'boolean' },
} as const;

/** The most key servers `localnet up` starts (checkStackSize's bound). */
const MAX_SERVERS = 20;

export type LocalnetRequest =
	| {
			action: 'up';
			serverCount: number;
			threshold: number;
			basePort: number;
			installSui: boolean;
	  }
	| { action: 'down' }
	| { action: 'status' }
	| { action: 'fund'; address: string };

export function parseLocalnetArgs(args: string[]): LocalnetRequest {
	const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE);
	const [action, ...rest] = positionals;
	if (action === 'fund') {
		if (rest.length !== 1)
			throw new InvalidInputError('ADDRESS', 'localnet fund takes one address');
		if (Object.values(values).some((v) => v !== undefined)) {
			throw new InvalidInputError(
				'options',
				'--server-count/--threshold/--port/--install-sui only apply to `localnet up`',
			);
		}
		return { action, address: normalizeObjectId(rest[0] ?? '', 'ADDRESS') };
	}
	if (rest.length > 0) throw new InvalidInputError('arguments', `unexpected '${rest.join(' ')}'`);
	if (action === 'up') {
		const basePort =
			values.port === undefined ? DEFAULT_KEY_SERVER_PORT : parsePositiveInt(values.port, '--port');
		if (basePort < 1024 || basePort > 65_000)
			throw new InvalidInputError('--port', 'expected 1024..65000');
		const serverCount =
			values['server-count'] === undefined
				? DEFAULT_SERVER_COUNT
				: parsePositiveInt(values['server-count'], '--server-count');
		if (serverCount > MAX_SERVERS)
			throw new InvalidInputError(
				'--server-count',
				`expected 1..${MAX_SERVERS}, got ${serverCount}`,
			);
		const threshold =
			values.threshold === undefined
				? DEFAULT_THRESHOLD
				: parsePositiveInt(values.threshold, '--threshold');
		// A wrong command line, so checked here (exit 2) before `up` looks for anything.
		if (threshold > serverCount) {
			throw new InvalidInputError(
				'--threshold',
				`${threshold} is more than the ${serverCount} key servers (--server-count); use 1..${serverCount}`,
			);
		}
		return {
			action,
			serverCount,
			threshold,
			basePort,
			installSui: values['install-sui'] ?? false,
		};
	}
	if (action === 'down' || action === 'status') {
		if (Object.values(values).some((v) => v !== undefined)) {
			throw new InvalidInputError(
				'options',
				`--server-count/--threshold/--port/--install-sui only apply to \`localnet up\``,
			);
		}
		return { action };
	}
	throw new InvalidInputError(
		'subcommand',
		`expected up, down, status or fund, got '${action ?? ''}'\n${USAGE}`,
	);
}

export const command: Command = {
	summary: 'up | down | status | fund: local Sui network with t-of-n Seal key servers',
	usage: USAGE,
	async run(args, io) {
		const request = usageErrors(() => parseLocalnetArgs(args));
		const root = process.cwd();
		if (request.action === 'up') {
			// Install only when asked; without it `localnetUp` fails at once in one line.
			if (request.installSui && findSuiBinary(io.env) === undefined) {
				await (await import('./sui.js')).installSuiWithProgress(io);
			}
			const { state, paths } = await localnetUp({
				root,
				env: io.env,
				logger: io.logger,
				serverCount: request.serverCount,
				threshold: request.threshold,
				basePort: request.basePort,
			});
			io.result(
				state,
				`localnet is up: ${state.keyServers.length} key servers, threshold ${state.threshold}; see ${paths.envFile}`,
			);
			return 0;
		}
		if (request.action === 'down') {
			const result = await localnetDown({ root, logger: io.logger });
			io.result(result, `stopped ${result.stopped.length} process(es)`);
			return 0;
		}
		if (request.action === 'fund') {
			const state = await readLocalnetState(localnetPaths(root).stateFile);
			if (state === undefined)
				throw new LocalnetError('faucet', 'no localnet here; run `seal-policies localnet up`');
			const client = createSuiClient({ network: 'localnet', rpcUrl: state.rpcUrl });
			if (io.endpoints) {
				io.endpoints.fullNode = { url: state.rpcUrl, network: 'localnet' };
				io.endpoints.faucet = state.faucetUrl;
			}
			await fundFromFaucet({ client, faucetUrl: state.faucetUrl, address: request.address });
			io.result({ funded: request.address }, `funded ${request.address}`);
			return 0;
		}
		const status = await localnetStatus({ root });
		io.result(status, formatStatus(status));
		const healthy = status.health === 'up' && status.parts.every((p) => p.running && p.answering);
		return healthy ? 0 : 1;
	},
};
