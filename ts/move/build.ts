import { normalizeSuiAddress } from '@mysten/sui/utils';

import { MoveToolchainError } from '../errors.js';
import type { Logger } from '../logger.js';
import { compilerFailure } from './diagnostics.js';
import type { MoveToolchainEnv } from './env.js';
import { runSui } from './sui-cli.js';
import { requireMoveToolchain, type MoveToolchainKind } from './toolchain.js';
import { loadWasmBuilder, wasmFailureToError, wasmPackageInputs } from './wasm.js';

/** A compiled package, ready for a publish or upgrade transaction. */
export interface BuiltPackage {
	/** Compiled modules, base64. */
	modules: string[];
	/** Package ids it links against, `0x` + 64 hex. */
	dependencies: string[];
	/** Package digest (Blake2b-256), as the Sui CLI prints it. */
	digest: number[];
	toolchain: MoveToolchainKind;
}

export interface BuildMovePackageOptions {
	/** Folder of the Move package (the one holding its Move.toml), e.g. `move`. */
	packagePath: string;
	/** Read for `SUI_BIN`, `PATH`, `SUI_FRAMEWORK_DIR`, `MOVE_HOME`, `HOME`. */
	env: MoveToolchainEnv;
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
	env,
	logger,
}: BuildMovePackageOptions): Promise<BuiltPackage> {
	const toolchain = requireMoveToolchain(env);
	if (toolchain.kind === 'sui-cli') {
		logger.info(`building ${packagePath} with ${toolchain.suiBin}`);
		const result = await runSui(
			toolchain.suiBin,
			['move', 'build', '--dump-bytecode-as-base64', '--path', packagePath],
			{ env },
		);
		if (result.code !== 0) {
			const output = `${result.stderr}\n${result.stdout}`;
			throw compilerFailure(
				'sui-cli',
				output,
				packagePath,
				`sui move build exited with ${result.code ?? 'a signal'}: ${output.trim()}`,
			);
		}
		return { ...parseDump(result.stdout), toolchain: 'sui-cli' };
	}

	logger.info(
		`building ${packagePath} with the WASM compiler, framework from ${toolchain.frameworkDir}`,
	);
	const builder = await loadWasmBuilder();
	const result = await builder.dumpMovePackage({
		...(await wasmPackageInputs(packagePath, toolchain.frameworkDir)),
		ansiColor: false,
		onProgress: (event) => logger.debug(`move build: ${event.type}`),
	});
	if ('error' in result) throw wasmFailureToError(result, packagePath);
	if (result.warnings?.trim()) logger.warn(result.warnings.trim());
	return {
		modules: result.modules,
		dependencies: result.dependencies.map(normalizeId),
		digest: result.digest,
		toolchain: 'wasm',
	};
}

/** Reads the JSON `{ modules, dependencies, digest }` that the Sui CLI prints last on stdout. */
function parseDump(stdout: string): Omit<BuiltPackage, 'toolchain'> {
	const line = stdout
		.split('\n')
		.map((l) => l.trim())
		.reverse()
		.find((l) => l.startsWith('{'));
	let parsed: unknown;
	try {
		parsed = line === undefined ? undefined : JSON.parse(line);
	} catch {
		parsed = undefined;
	}
	if (!isDump(parsed)) {
		throw new MoveToolchainError(
			'sui-cli',
			`sui move build --dump-bytecode-as-base64 printed no { modules, dependencies, digest } JSON: ${stdout.trim().slice(0, 500)}`,
		);
	}
	return {
		modules: parsed.modules,
		dependencies: parsed.dependencies.map(normalizeId),
		digest: parsed.digest,
	};
}

function isDump(
	value: unknown,
): value is { modules: string[]; dependencies: string[]; digest: number[] } {
	if (typeof value !== 'object' || value === null) return false;
	const { modules, dependencies, digest } = value as Record<string, unknown>;
	return (
		Array.isArray(modules) &&
		modules.every((m) => typeof m === 'string') &&
		Array.isArray(dependencies) &&
		dependencies.every((d) => typeof d === 'string') &&
		Array.isArray(digest) &&
		digest.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)
	);
}

/** `0x2` → `0x000…002` (lower case, 64 hex digits). */
function normalizeId(id: string): string {
	if (!/^(0x)?[0-9a-f]{1,64}$/i.test(id.trim())) {
		throw new MoveToolchainError('wasm', `the compiler reported a malformed dependency id: ${id}`);
	}
	return normalizeSuiAddress(id.trim());
}
