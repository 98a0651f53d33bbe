/**
 * `npm run move:build [-- --path <dir>] [--build-env <env> [--chain-id <id>]] [--json]
 * [--verbose]` — compiles the Move package (default: move/, for testnet) and prints its module count, dependency ids and digest. With --json, prints
 * the full build (base64 modules included) on stdout.
 */
import { parseArgs } from 'node:util';

import { stderrLogger } from '../ts/logger.js';
import { buildMovePackage } from '../ts/move/build.js';
import {
	buildEnvironmentArg,
	MOVE_SCRIPT_OPTIONS,
	packagePathArg,
	runMoveScript,
} from './move-script.js';

async function main(): Promise<number> {
	const { values } = parseArgs({ options: MOVE_SCRIPT_OPTIONS });
	const packagePath = packagePathArg(values.path);
	const logger = stderrLogger({ verbose: values.verbose });
	const environment = buildEnvironmentArg(values);
	const built = await buildMovePackage({ packagePath, environment, env: process.env, logger });
	if (values.json) {
		process.stdout.write(`${JSON.stringify(built, null, 2)}\n`);
		return 0;
	}
	const digestHex = Buffer.from(built.digest).toString('hex');
	process.stdout.write(
		[
			`built ${packagePath} for ${environment.name} with ${built.toolchain}`,
			`modules: ${built.modules.length}`,
			`dependencies: ${built.dependencies.join(', ')}`,
			`digest: ${digestHex}`,
		].join('\n') + '\n',
	);
	return 0;
}

runMoveScript(main);
