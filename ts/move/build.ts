import type { Logger } from '../logger.js';
import type { BuildEnvironment } from './build-env.js';
import { normalizePackageId, parseBuildDump } from './build-output.js';
import { compilerFailure } from './diagnostics.js';
import type { MoveToolchainEnv } from './env.js';
import { runSuiMove, suiToolchainVersion } from './sui-move.js';
import { requireMoveToolchain, type MoveToolchainKind } from './toolchain.js';
import {
	ephemeralOverrides,
	loadWasmBuilder,
	wasmFailureToError,
	wasmPackageInputs,
} from './wasm.js';

/** A compiled package, ready for a publish or upgrade transaction. */
export interface BuiltPackage {
	/** Compiled modules, base64. */
	modules: string[];
	/** Package ids it links against, `0x` + 64 hex. */
	dependencies: string[];
	/** Package digest (Blake2b-256), as the Sui CLI prints it. */
	digest: number[];
	toolchain: MoveToolchainKind;
	/** Sui version of the compiler (Published.toml's `toolchain-version`), e.g. `1.71.1`. */
	toolchainVersion: string;
}

export interface BuildMovePackageOptions {
	/** Folder of the Move package (the one holding its Move.toml), e.g. `move`. */
	packagePath: string;
	/** The chain the build is for (`buildEnvironment`): it picks the dependencies. */
	environment: BuildEnvironment;
	/** Read for `SUI_BIN`, `PATH`, `SUI_FRAMEWORK_DIR`, `MOVE_HOME`, `HOME`. */
	env: MoveToolchainEnv;
	/**
	 * Ephemeral chains (localnet, devnet): the Pub.<env>.toml whose addresses the build uses for
	 * dependencies published there (`--pubfile-path`). Default: none (a scratch file).
	 */
	pubfile?: string;
	logger: Logger;
}

/**
 * Compiles the package at `packagePath` with the first available toolchain: the `sui` CLI
 * (`sui move build --dump-bytecode-as-base64`), else the bundled WASM compiler with local
 * framework sources. Throws `PrerequisiteMissingError` when neither exists, `MoveBuildError`
 * (file, line, column per error) when the compiler rejects the sources.
 */
export async function buildMovePackage({
	packagePath,
	environment,
	env,
	pubfile,
	logger,
}: BuildMovePackageOptions): Promise<BuiltPackage> {
	const toolchain = requireMoveToolchain(env);
	if (toolchain.kind === 'sui-cli') {
		logger.info(`building ${packagePath} for ${environment.name} with ${toolchain.suiBin}`);
		const result = await runSuiMove({
			suiBin: toolchain.suiBin,
			command: 'build',
			packagePath,
			environment,
			env,
			...(pubfile === undefined ? {} : { pubfile }),
		});
		if (result.code !== 0) {
			const output = `${result.stderr}\n${result.stdout}`;
			throw compilerFailure(
				'sui-cli',
				output,
				packagePath,
				`sui move build exited with ${result.code ?? 'a signal'}: ${output.trim()}`,
			);
		}
		return {
			...parseBuildDump(result.stdout),
			toolchain: 'sui-cli',
			toolchainVersion: await suiToolchainVersion(toolchain.suiBin, env, environment),
		};
	}

	logger.info(
		`building ${packagePath} with the WASM compiler, framework from ${toolchain.frameworkDir}`,
	);
	const overrides =
		environment.ephemeral && pubfile !== undefined
			? await ephemeralOverrides(pubfile, environment)
			: undefined;
	const builder = await loadWasmBuilder();
	const result = await builder.dumpMovePackage({
		...(await wasmPackageInputs(packagePath, toolchain.frameworkDir, overrides)),
		network: wasmNetwork(environment),
		ansiColor: false,
		onProgress: (event) => logger.debug(`move build: ${event.type}`),
	});
	if ('error' in result) throw wasmFailureToError(result, packagePath);
	if (result.warnings?.trim()) logger.warn(result.warnings.trim());
	return {
		modules: result.modules,
		dependencies: result.dependencies.map((id) => normalizePackageId(id, 'wasm')),
		digest: result.digest,
		toolchain: 'wasm',
		toolchainVersion: await builder.getPinnedSuiVersion(),
	};
}

/**
 * The WASM builder knows mainnet, testnet and devnet only; it picks the framework revision by
 * it (ignored offline: the framework comes from SUI_FRAMEWORK_DIR) and reads dependencies'
 * `[published.<it>]`. An ephemeral chain builds as its build environment (testnet), like sui.
 */
export function wasmNetwork(environment: BuildEnvironment): 'mainnet' | 'testnet' {
	return environment.buildEnv;
}
