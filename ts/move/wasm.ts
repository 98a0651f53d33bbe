import path from 'node:path';

import type {
	MovePackageFailure,
	MovePackageFetcher,
	MovePackageFetchLocalContext,
} from '@zktx.io/sui-move-builder/full';

import { MoveBuildError, MoveToolchainError } from '../errors.js';
import { parseMoveDiagnostics } from './diagnostics.js';
import { FRAMEWORK_PACKAGES, type FrameworkPackage } from './framework.js';
import { readMovePackageFiles } from './package-files.js';

export type WasmBuilder = typeof import('@zktx.io/sui-move-builder/full');

/** Loads and initialises the WASM Sui compiler and test VM (the "full" entry: 8 MB, ~1 s). */
export async function loadWasmBuilder(): Promise<WasmBuilder> {
	const builder = await import('@zktx.io/sui-move-builder/full');
	try {
		await builder.initMovePackageBuilder();
	} catch (error) {
		throw new MoveToolchainError(
			'wasm',
			`could not load the WASM Move compiler: ${String(error)}`,
			{
				cause: error,
			},
		);
	}
	return builder;
}

/** The package's files and an offline fetcher: what a WASM build and a WASM test run take. */
export async function wasmPackageInputs(
	packagePath: string,
	frameworkDir: string,
): Promise<{ files: Record<string, string>; fetcher: MovePackageFetcher }> {
	return {
		files: await readMovePackageFiles(packagePath),
		fetcher: offlineFetcher({ frameworkDir, packagePath }),
	};
}

/**
 * A dependency fetcher that never goes online: the Sui framework packages (which the builder
 * adds implicitly as git dependencies on MystenLabs/sui) come from `frameworkDir`; `local`
 * dependencies come from disk relative to the root package. Anything else is refused with a
 * reason, because this build is offline.
 */
export function offlineFetcher({
	frameworkDir,
	packagePath,
}: {
	frameworkDir: string;
	packagePath: string;
}): MovePackageFetcher {
	return {
		async fetch(gitUrl: string, rev: string, subdir?: string) {
			const name = frameworkPackageName(gitUrl, subdir);
			if (name === undefined) {
				throw new Error(
					`offline build: git dependency ${gitUrl}@${rev}${subdir ? `/${subdir}` : ''} cannot be ` +
						'fetched; only the Sui framework (from SUI_FRAMEWORK_DIR or the Sui CLI cache) is ' +
						'available. Use the sui CLI for packages with other git dependencies.',
				);
			}
			return readMovePackageFiles(path.join(frameworkDir, name), {
				includeLock: false,
				includeTests: false,
			});
		},
		async fetchLocal(localPath: string, context: MovePackageFetchLocalContext) {
			const parent = context.parentSource;
			const base =
				parent?.type === 'local' && parent.local
					? path.resolve(packagePath, parent.local)
					: packagePath;
			return readMovePackageFiles(path.resolve(base, localPath), {
				includeLock: false,
				includeTests: false,
			});
		},
		async fetchFile() {
			return null;
		},
		getResolvedSha() {
			return undefined;
		},
	};
}

/** `sui-framework` / `move-stdlib` when the git source is that package of MystenLabs/sui. */
function frameworkPackageName(
	gitUrl: string,
	subdir: string | undefined,
): FrameworkPackage | undefined {
	if (!/github\.com[/:]MystenLabs\/sui(\.git)?\/?$/i.test(gitUrl) || subdir === undefined) {
		return undefined;
	}
	const last = subdir.replace(/\/+$/, '').split('/').pop();
	return FRAMEWORK_PACKAGES.find((name) => name === last);
}

/** Turns a builder failure into a typed error: compiler diagnostics, or a toolchain failure. */
export function wasmFailureToError(failure: MovePackageFailure, packagePath: string): Error {
	if (failure.category === 'compile') {
		return new MoveBuildError(
			'wasm',
			parseMoveDiagnostics(failure.error, packagePath),
			failure.error,
		);
	}
	const hint =
		failure.category === 'dependency_resolution'
			? ' Check that SUI_FRAMEWORK_DIR holds sui-framework/ and move-stdlib/ and that the package has no other git dependencies.'
			: '';
	return new MoveToolchainError(
		'wasm',
		`${failure.category ?? 'unknown'} failed: ${failure.error.trim()}${hint}`,
	);
}
