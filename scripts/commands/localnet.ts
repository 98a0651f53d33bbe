/**
 * `seal-policies localnet up|down|status`: a local Sui network with t-of-n Seal key servers
 * (independent, a committee behind an aggregator, a permissioned server) and both packages published, for the e2e suites and the CLI (`.env.localnet`).
 */
import { InvalidInputError } from '../../ts/errors.js';
import { LocalnetError } from '../../ts/localnet/errors.js';
import { normalizeObjectId } from '../../ts/identity.js';
import { localnetPaths } from '../../ts/localnet/paths.js';
import { findSuiBinary } from '../../ts/move/sui-binary.js';
import { readLocalnetState } from '../../ts/localnet/state.js';
import { createSuiClient } from '../../ts/chain/sui-client.js';
import { localnetDown } from '../../ts/localnet/down.js';
import { formatStatus, localnetStatus } from '../../ts/localnet/status.js';
import {
	DEFAULT_KEY_SERVER_PORT,
	DEFAULT_SERVER_COUNT,
	DEFAULT_THRESHOLD,
	fundFromFaucet,
	localnetUp,
} from '../../ts/localnet/up.js';
import {
	MAX_SERVERS,
	describeServers,
	parseCommitteeShape,
	resolveTopology,
	topologyPorts,
	type CommitteeShape,
} from '../../ts/localnet/topology.js';
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
  --server-count N independent Open key servers (default ${DEFAULT_SERVER_COUNT}, or 0 with --committee
                   / --permissioned; \`--servers\` elsewhere is a list of key-server ids)
  --committee T-of-N  also a committee: N member servers behind an aggregator, registered on chain
                   as ONE KeyServer (type Committee, threshold T >= 2); shares from a trusted
                   dealer — localnet only (real committees run Mysten's DKG)
  --permissioned   also a Permissioned server with one client (derived key 0) for the policy package
  --threshold T    client threshold over all servers, each independent server, the committee and
                   the permissioned server weighing 1 (default min(${DEFAULT_THRESHOLD}, total))
  --port P         first port (default ${DEFAULT_KEY_SERVER_PORT}): independent servers, then members,
                   the aggregator and the permissioned server on P, P+1, …
  --install-sui    when no \`sui\` is found, run \`seal-policies sui install\` first (without
                   it, a missing \`sui\` stops the command at once, before anything starts)

needs: a \`sui\` binary (SUI_BIN, \`seal-policies sui install\`, or PATH) and git. SEAL_KEY_SERVER_BIN=<path> runs Mysten's
key-server binary instead of ours (not for committee members), SEAL_AGGREGATOR_BIN=<path> Mysten's
aggregator-server. Master keys, shares and seeds exist only in the processes' env.`;

const OPTIONS = {
	'server-count': { type: 'string' },
	threshold: { type: 'string' },
	port: { type: 'string' },
	committee: { type: 'string' },
	permissioned: { type: 'boolean' },
	'install-sui': { type: 'boolean' },
} as const;
const UP_ONLY = '--server-count/--threshold/--port/--committee/--permissioned/--install-sui';

export type LocalnetRequest =
	| {
			action: 'up';
			serverCount: number;
			threshold: number;
			basePort: number;
			installSui: boolean;
			/** Present only with --committee. */
			committee?: CommitteeShape;
			/** Present (true) only with --permissioned. */
			permissioned?: true;
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
			throw new InvalidInputError('options', `${UP_ONLY} only apply to \`localnet up\``);
		}
		return { action, address: normalizeObjectId(rest[0] ?? '', 'ADDRESS') };
	}
	if (rest.length > 0) throw new InvalidInputError('arguments', `unexpected '${rest.join(' ')}'`);
	if (action === 'up') {
		const basePort =
			values.port === undefined ? DEFAULT_KEY_SERVER_PORT : parsePositiveInt(values.port, '--port');
		if (basePort < 1024 || basePort > 65_000)
			throw new InvalidInputError('--port', 'expected 1024..65000');
		const committee =
			values.committee === undefined ? undefined : parseCommitteeShape(values.committee);
		const permissioned = values.permissioned ?? false;
		const count = values['server-count'];
		if (count !== undefined && !/^(0|[1-9][0-9]?)$/.test(count))
			throw new InvalidInputError('--server-count', `expected 0..${MAX_SERVERS}, got '${count}'`);
		if (count === '0' && !committee && !permissioned)
			throw new InvalidInputError(
				'--server-count',
				'0 independent servers needs --committee T-of-N or --permissioned',
			);
		// A wrong command line, so checked here (exit 2) before `up` looks for anything.
		const topology = resolveTopology({
			serverCount: count === undefined ? undefined : Number(count),
			threshold:
				values.threshold === undefined
					? undefined
					: parsePositiveInt(values.threshold, '--threshold'),
			committee,
			permissioned,
		});
		topologyPorts(topology, basePort);
		return {
			action,
			serverCount: topology.serverCount,
			threshold: topology.threshold,
			basePort,
			installSui: values['install-sui'] ?? false,
			...(committee ? { committee } : {}),
			...(permissioned ? { permissioned: true as const } : {}),
		};
	}
	if (action === 'down' || action === 'status') {
		if (Object.values(values).some((v) => v !== undefined)) {
			throw new InvalidInputError('options', `${UP_ONLY} only apply to \`localnet up\``);
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
				committee: request.committee,
				permissioned: request.permissioned ?? false,
			});
			const servers = describeServers({
				serverCount: state.keyServers.length,
				committee: state.committee,
				permissioned: state.permissioned !== undefined,
			});
			io.result(
				state,
				`localnet is up: ${servers}, threshold ${state.threshold}${state.committee?.aggregator ? `; aggregator ${state.committee.aggregator.url}` : ''}; see ${paths.envFile} and ${paths.configFile}`,
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
