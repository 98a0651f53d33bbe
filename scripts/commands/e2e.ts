/**
 * `seal-policies e2e` (= `npm run e2e`): the whole story against real chains, as a readable
 * step-by-step report ending in a pass/fail table.
 * - localnet (default): `localnet up` → flow → `localnet down`, the last even on failure.
 * - `--network testnet`: the configured key servers and a funded SUI_PRIVATE_KEY
 *   (SEAL_E2E_TESTNET=1 is not needed here: running the command is the opt-in).
 */
import { InvalidInputError } from '../../ts/errors.js';
import { localnetEnvironment, testnetEnvironment } from '../../ts/e2e/environment.js';
import { runE2eFlow } from '../../ts/e2e/flow.js';
import { formatReport } from '../../ts/e2e/report.js';
import { localnetDown } from '../../ts/localnet/down.js';
import { requireSui } from '../../ts/localnet/sui.js';
import { findSuiBinary } from '../../ts/move/sui-binary.js';
import { localnetUp } from '../../ts/localnet/up.js';
import type { Command } from '../cli-io.js';
import { parseCommandArgs, rejectPositionals, usageErrors } from '../args.js';
import { loadSignerSettings } from '../../ts/config.js';

const USAGE = `usage: seal-policies e2e [--network localnet|testnet] [--reuse] [--install-sui]

Runs the full flow: publish → create a namespace → add a member → encrypt t-of-n → the member
decrypts; a non-member and a removed member are refused; the owner policy; a batch of 50; an
envelope rewrapped to another server set; on localnet, key servers going down. Ends with a
pass/fail table; exit code 0 only when every step passed.

  --network localnet   (default) \`localnet up\`, the flow, then \`localnet down\` even on failure;
                       needs a \`sui\` binary (SUI_BIN, \`seal-policies sui install\`, PATH)
                       and git
  --network testnet    configured key servers (default: Mysten's open testnet servers, 2-of-2)
                       and a funded SUI_PRIVATE_KEY; publishes seal_policies if not recorded
  --reuse              localnet: use the stack already running (started with \`localnet up\`)
                       and leave it running
  --install-sui        localnet: when no \`sui\` is found, run \`seal-policies sui install\`
                       first (without it, a missing \`sui\` stops the command at once)`;

const OPTIONS = {
	network: { type: 'string' },
	reuse: { type: 'boolean' },
	'install-sui': { type: 'boolean' },
} as const;

export interface E2eRequest {
	network: 'localnet' | 'testnet';
	reuse: boolean;
	installSui: boolean;
}

export function parseE2eArgs(args: string[]): E2eRequest {
	const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE);
	rejectPositionals(positionals, USAGE);
	const network = values.network ?? 'localnet';
	if (network !== 'localnet' && network !== 'testnet') {
		throw new InvalidInputError('--network', `expected localnet or testnet, got '${network}'`);
	}
	if (values.reuse && network !== 'localnet')
		throw new InvalidInputError('--reuse', 'only applies to localnet');
	if (values['install-sui'] && network !== 'localnet')
		throw new InvalidInputError('--install-sui', 'only applies to localnet');
	return { network, reuse: values.reuse ?? false, installSui: values['install-sui'] ?? false };
}

export const command: Command = {
	summary: 'the full flow on localnet (up → flow → down) or testnet, with a pass/fail table',
	usage: USAGE,
	async run(args, io) {
		const request = usageErrors(() => parseE2eArgs(args));
		const root = process.cwd();
		const log = (line: string) => io.logger.info(line);
		if (request.network === 'testnet') {
			// SUI_PRIVATE_KEY may come from .env, like every other variable.
			const { privateKeySource: _source, ...signer } = loadSignerSettings({
				env: io.env,
				cwd: root,
			});
			const env = await testnetEnvironment({
				root,
				env: { ...io.env, ...signer },
				logger: io.logger,
			});
			log(`e2e on testnet: ${env.servers.length} key servers, threshold ${env.threshold}`);
			return report(io, await runE2eFlow(env, { faults: false, log }));
		}
		// Install only when asked; otherwise fail at once, in one line, before anything starts.
		if (request.installSui && findSuiBinary(io.env) === undefined) {
			await (await import('./sui.js')).installSuiWithProgress(io);
		}
		requireSui(io.env);
		const owned = !request.reuse;
		// Ctrl-C must not leave a node and key servers behind.
		const onInterrupt = () => {
			log('interrupted: stopping the localnet');
			void localnetDown({ root, logger: io.logger }).finally(() => process.exit(130));
		};
		if (owned) process.once('SIGINT', onInterrupt);
		try {
			if (owned) {
				log('== localnet up ==');
				await localnetUp({ root, env: io.env, logger: io.logger });
			}
			log('== flow ==');
			const env = await localnetEnvironment({ root, logger: io.logger });
			return report(io, await runE2eFlow(env, { faults: true, log }));
		} finally {
			if (owned) {
				process.off('SIGINT', onInterrupt);
				log('== localnet down ==');
				await localnetDown({ root, logger: io.logger });
			}
		}
	},
};

function report(
	io: Parameters<Command['run']>[1],
	results: Awaited<ReturnType<typeof runE2eFlow>>,
): number {
	const table = formatReport(results);
	io.result(results, table);
	if (io.json) process.stderr.write(`${table}\n`);
	return results.every((r) => r.status === 'pass') ? 0 : 1;
}
