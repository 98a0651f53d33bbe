/**
 * The one place that runs `sui` for the Move toolchain: every invocation gets a private client
 * config for the network it targets (ts/move/client-config.ts) and names its build environment;
 * a build for an ephemeral chain (localnet, devnet) also names its publication file, as
 * `sui client test-publish` does (ts/move/build-env.ts).
 */
import path from 'node:path';

import { MoveToolchainError } from './errors.js';
import { ephemeralPubFile } from './publication-file.js';
import type { MoveToolchainEnv } from './env.js';
import { buildEnvArgs, type BuildEnvironment } from './build-env.js';
import { suiChildEnv, withClientConfig, type SuiClientConfig } from './client-config.js';
import { runSui, type SuiProcessResult } from './sui-cli.js';

export type SuiMoveCommand = 'build' | 'test';

/**
 * The arguments of `sui move <command>` for the package at `packageDir`:
 * `sui move --client.config <file> <command> --path <dir> --build-env <env>`, as the ts-sdks e2e
 * setup runs it (MystenLabs/ts-sdks packages/sui/test/e2e/utils/setup.ts @ 03fe26bf); `build`
 * adds the ephemeral publication file (`--pubfile-path`, ephemeral_dump/dump_with_pubfile.snap
 * @ 086bf8a2) and dumps the bytecode as the JSON `{ modules, dependencies, digest }`
 * (MystenLabs/sui crates/sui/tests/shell_tests/with_network/dump_bytecode/
 * with_unpublished_deps.snap @ 894f0ff2); `test` takes an optional name filter as its positional
 * argument.
 */
export function suiMoveArgs(
	command: SuiMoveCommand,
	packageDir: string,
	environment: BuildEnvironment,
	{ clientConfig, pubfile, filter }: { clientConfig: string; pubfile?: string; filter?: string },
): string[] {
	const head = [
		'move',
		'--client.config',
		clientConfig,
		command,
		'--path',
		packageDir,
		...buildEnvArgs(environment),
	];
	if (command === 'build') {
		const pub = environment.ephemeral
			? ['--pubfile-path', requirePubfile(pubfile, environment)]
			: [];
		return [...head, ...pub, '--dump-bytecode-as-base64'];
	}
	return filter ? [...head, filter] : head;
}

function requirePubfile(pubfile: string | undefined, environment: BuildEnvironment): string {
	if (pubfile === undefined) {
		throw new MoveToolchainError(
			'sui-cli',
			`a build for ${environment.name} needs its publication file (--pubfile-path)`,
		);
	}
	return pubfile;
}

export interface RunSuiMoveOptions {
	suiBin: string;
	command: SuiMoveCommand;
	packagePath: string;
	environment: BuildEnvironment;
	/** The caller's environment: the child gets only `SUI_CHILD_ENV` of it (client-config.ts). */
	env: MoveToolchainEnv;
	filter?: string;
	/**
	 * Ephemeral builds: the publication file whose addresses the build uses (and that
	 * `sui` creates, empty, when missing). Default: a scratch file removed afterwards, so a
	 * build that records nothing writes nothing next to the package.
	 */
	pubfile?: string;
	/** Runs the process; defaults to `runSui` (tests pass a fake). */
	run?: typeof runSui;
	tmpRoot?: string;
}

/** Runs `sui move build|test` for `environment` with a private client config for its node. */
export async function runSuiMove({
	suiBin,
	command,
	packagePath,
	environment,
	env,
	filter,
	pubfile,
	run = runSui,
	tmpRoot,
}: RunSuiMoveOptions): Promise<SuiProcessResult> {
	return withSuiConfig(
		environment,
		env,
		(config, scratch) => {
			const args = suiMoveArgs(command, packagePath, environment, {
				clientConfig: config.file,
				...(environment.ephemeral
					? { pubfile: pubfile ?? path.join(scratch, ephemeralPubFile(environment.name)) }
					: {}),
				...(filter === undefined ? {} : { filter }),
			});
			return run(suiBin, args, { env: suiChildEnv(env, config) });
		},
		tmpRoot,
	);
}

function withSuiConfig<T>(
	environment: BuildEnvironment,
	env: MoveToolchainEnv,
	use: (config: SuiClientConfig, scratch: string) => Promise<T>,
	tmpRoot: string | undefined,
): Promise<T> {
	return withClientConfig(
		{ alias: environment.name, rpcUrl: environment.rpcUrl },
		env,
		use,
		tmpRoot === undefined ? {} : { tmpRoot },
	);
}

/**
 * The toolchain version `sui --version` reports (`sui 1.71.1-abc1234` → `1.71.1`), as Sui's own
 * publish test extracts it for Published.toml's `toolchain-version` (MystenLabs/sui
 * crates/sui/tests/shell_tests/with_network/publish_upgrade/publish.sh @ 0452dcbd).
 */
export function parseSuiVersion(output: string): string | undefined {
	return /^sui (\d+\.\d+\.\d+)/m.exec(output.trim())?.[1];
}

/**
 * `sui --version` of `suiBin`; a binary that answers otherwise is a broken toolchain. Run, like
 * every `sui` call, with a private config (for `environment`'s node) and the reduced environment.
 */
export async function suiToolchainVersion(
	suiBin: string,
	env: MoveToolchainEnv,
	environment: BuildEnvironment,
	{ run = runSui, tmpRoot }: { run?: typeof runSui; tmpRoot?: string } = {},
): Promise<string> {
	const result = await withSuiConfig(
		environment,
		env,
		(config) => run(suiBin, ['--version'], { env: suiChildEnv(env, config) }),
		tmpRoot,
	);
	const version = result.code === 0 ? parseSuiVersion(result.stdout) : undefined;
	if (version === undefined) {
		throw new MoveToolchainError(
			'sui-cli',
			`\`${suiBin} --version\` printed no version (exit ${result.code ?? 'signal'}): ${`${result.stdout}${result.stderr}`.trim().slice(0, 200)}`,
		);
	}
	return version;
}
