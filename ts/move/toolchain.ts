import { PrerequisiteMissingError } from '../errors.js';
import type { MoveToolchainEnv } from './env.js';
import { findSuiFramework } from './framework.js';
import { findSuiBinary } from './sui-binary.js';

export type MoveToolchainKind = 'sui-cli' | 'wasm';

export type MoveToolchain =
	| { readonly kind: 'sui-cli'; readonly suiBin: string }
	| {
			readonly kind: 'wasm';
			readonly frameworkDir: string;
			readonly frameworkSource: 'SUI_FRAMEWORK_DIR' | 'sui-cli-cache';
	  };

export type MoveToolchainLookup =
	MoveToolchain | { readonly kind: 'none'; readonly reason: string };

/**
 * Picks the Move toolchain, in order: a `sui` binary (`SUI_BIN` or `PATH`); else the bundled WASM
 * compiler with framework sources (`SUI_FRAMEWORK_DIR` or the Sui CLI cache); else `none` with one
 * reason saying what is missing and how to provide it. Throws only for a `SUI_BIN` that is wrong.
 */
export function detectMoveToolchain(env: MoveToolchainEnv): MoveToolchainLookup {
	const suiBin = findSuiBinary(env);
	if (suiBin !== undefined) return { kind: 'sui-cli', suiBin };
	const framework = findSuiFramework(env);
	if (framework.kind === 'found') {
		return { kind: 'wasm', frameworkDir: framework.dir, frameworkSource: framework.source };
	}
	return {
		kind: 'none',
		reason: `no Move toolchain: no sui binary on PATH (or SUI_BIN), and ${framework.reason}`,
	};
}

/** `detectMoveToolchain`, throwing `PrerequisiteMissingError` (with the reason) for `none`. */
export function requireMoveToolchain(env: MoveToolchainEnv): MoveToolchain {
	const toolchain = detectMoveToolchain(env);
	if (toolchain.kind === 'none') {
		throw new PrerequisiteMissingError('move-toolchain', toolchain.reason);
	}
	return toolchain;
}
