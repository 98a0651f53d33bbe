/**
 * The one place that runs `sui move build` and `sui move test`: every invocation names its
 * build environment, and an ephemeral environment (localnet, devnet) is built from a temporary
 * copy of the package whose Move.toml declares that chain, removed again afterwards.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { MoveToolchainError } from '../errors.js';
import type { MoveToolchainEnv } from './env.js';
import { buildEnvArgs, manifestWithEnvironment, type BuildEnvironment } from './build-env.js';
import { runSui, type SuiProcessResult } from './sui-cli.js';

export type SuiMoveCommand = 'build' | 'test';

/**
 * The arguments of `sui move <command>` for the package at `packageDir`: `build` dumps the
 * bytecode as the JSON `{ modules, dependencies, digest }` (MystenLabs/sui
 * crates/sui/tests/shell_tests/with_network/dump_bytecode/with_unpublished_deps.snap
 * @ 894f0ff2); `test` takes an optional name filter as its positional argument.
 */
export function suiMoveArgs(
	command: SuiMoveCommand,
	packageDir: string,
	environment: BuildEnvironment,
	{ filter }: { filter?: string } = {},
): string[] {
	const head = ['move', command, '--path', packageDir, ...buildEnvArgs(environment)];
	if (command === 'build') return [...head, '--dump-bytecode-as-base64'];
	return filter ? [...head, filter] : head;
}

/** Entries of a package that a build copy leaves out: build output, VCS/hidden files, and the ephemeral publication files of other runs. */
function copied(source: string): boolean {
	const name = path.basename(source);
	return !(name === 'build' || name.startsWith('.') || /^Pub\.[^/\\]+\.toml$/.test(name));
}

/**
 * `toml` with every relative `local = "…"` dependency made absolute (against `packageDir`), so a
 * copy elsewhere still finds them.
 */
export function absoluteLocalDependencies(toml: string, packageDir: string): string {
	return toml.replace(/(\blocal\s*=\s*)"([^"]*)"/g, (match, key: string, dir: string) =>
		path.isAbsolute(dir) ? match : `${key}${JSON.stringify(path.resolve(packageDir, dir))}`,
	);
}

/**
 * Runs `use` with a package folder to build `packagePath` for `environment`: the folder itself
 * for testnet/mainnet; for an ephemeral chain a temporary copy (outside the repository) whose
 * Move.toml declares `[environments] <name> = "<chain id>"`, removed when `use` settles.
 */
export async function withBuildPackage<T>(
	packagePath: string,
	environment: BuildEnvironment,
	use: (packageDir: string) => Promise<T>,
	{ tmpRoot = tmpdir() }: { tmpRoot?: string } = {},
): Promise<T> {
	if (!environment.ephemeral) return use(packagePath);
	const source = path.resolve(packagePath);
	const root = await mkdtemp(path.join(tmpRoot, `seal-policies-${environment.name}-`));
	try {
		const copy = path.join(root, path.basename(source));
		await cp(source, copy, { recursive: true, filter: copied });
		const manifest = path.join(copy, 'Move.toml');
		const text = await readFile(manifest, 'utf8');
		await writeFile(
			manifest,
			manifestWithEnvironment(
				absoluteLocalDependencies(text, source),
				environment.name,
				environment.chainId,
			),
		);
		return await use(copy);
	} finally {
		await rm(root, { recursive: true, force: true });
	}
}

export interface RunSuiMoveOptions {
	suiBin: string;
	command: SuiMoveCommand;
	packagePath: string;
	environment: BuildEnvironment;
	env: MoveToolchainEnv;
	filter?: string;
	/** Runs the process; defaults to `runSui` (tests pass a fake). */
	run?: typeof runSui;
	tmpRoot?: string;
}

/**
 * Runs `sui move build|test` for `environment` and returns its output with the temporary
 * copy's path replaced by `packagePath`, so compiler diagnostics point at the real files.
 */
export async function runSuiMove({
	suiBin,
	command,
	packagePath,
	environment,
	env,
	filter,
	run = runSui,
	tmpRoot,
}: RunSuiMoveOptions): Promise<SuiProcessResult> {
	return withBuildPackage(
		packagePath,
		environment,
		async (packageDir) => {
			const args = suiMoveArgs(command, packageDir, environment, {
				...(filter === undefined ? {} : { filter }),
			});
			const result = await run(suiBin, args, { env });
			if (packageDir === packagePath) return result;
			const original = path.resolve(packagePath);
			const restore = (text: string) => text.split(packageDir).join(original);
			return { code: result.code, stdout: restore(result.stdout), stderr: restore(result.stderr) };
		},
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

/** `sui --version` of `suiBin`; a binary that answers otherwise is a broken toolchain. */
export async function suiToolchainVersion(
	suiBin: string,
	env: MoveToolchainEnv,
	run: typeof runSui = runSui,
): Promise<string> {
	const result = await run(suiBin, ['--version'], { env });
	const version = result.code === 0 ? parseSuiVersion(result.stdout) : undefined;
	if (version === undefined) {
		throw new MoveToolchainError(
			'sui-cli',
			`\`${suiBin} --version\` printed no version (exit ${result.code ?? 'signal'}): ${`${result.stdout}${result.stderr}`.trim().slice(0, 200)}`,
		);
	}
	return version;
}
