/**
 * `seal-policies sui install|which`: put the pinned Sui release in the per-user cache, verified,
 * so every command that needs `sui` finds it; or say which `sui` commands would use.
 */
import { UsageError } from '../../ts/errors.js';
import { findSuiBinary } from '../../ts/move/sui-binary.js';
import { cacheDir } from '../../ts/sui-install/cache.js';
import { installSui, type InstallSuiResult } from '../../ts/sui-install/install.js';
import { PINNED_SUI_TAG, suiReleaseTag } from '../../ts/sui-install/version.js';
import { parseCommandArgs } from '../args.js';
import type { CliIo, Command } from '../cli-io.js';
import { progress } from '../progress.js';

const USAGE = `usage: seal-policies sui install [--version V] [--sha256 HEX]
       seal-policies sui which

  install   download Sui's release archive for this platform from its GitHub release
            (default ${PINNED_SUI_TAG}), check it against the SHA-256 digest the release
            publishes, and put \`sui\` in the per-user cache. An installed release is reused
            without downloading again.
  which     print the \`sui\` commands use, and where it came from

options (install):
  --version V    1.71.1 (a testnet release) or a tag: testnet-v1.71.1, mainnet-v1.70.2
  --sha256 HEX   the archive's SHA-256 from a source you trust (required when the release
                 publishes no digest; must agree with it when it does)

Which \`sui\` is used: SUI_BIN if set, else the one \`sui install\` put in the cache, else \`sui\`
on PATH. Cache: SEAL_POLICIES_CACHE_DIR, else $XDG_CACHE_HOME/seal-policies, else
~/.cache/seal-policies (~/Library/Caches on macOS, %LOCALAPPDATA% on Windows).
SUI_RELEASES_URL replaces ${'`'}https://api.github.com/repos/MystenLabs/sui/releases${'`'} (a mirror).`;

const OPTIONS = { version: { type: 'string' }, sha256: { type: 'string' } } as const;

/** Installs the pinned (or `version`) Sui release, with progress on stderr. */
export async function installSuiWithProgress(
	io: CliIo,
	options: { version?: string; sha256?: string } = {},
): Promise<InstallSuiResult> {
	const tag = options.version === undefined ? PINNED_SUI_TAG : suiReleaseTag(options.version);
	let bar: ReturnType<typeof progress> | undefined;
	let lastDone = 0;
	const result = await installSui({
		env: io.env,
		tag,
		...(options.sha256 === undefined ? {} : { sha256: options.sha256 }),
		logger: io.logger,
		onProgress: (done, total) => {
			bar ??= progress({ label: `downloading sui ${tag}`, total, unit: 'bytes' });
			bar.advance(done - lastDone);
			lastDone = done;
		},
	});
	bar?.done();
	return result;
}
export const command: Command = {
	summary: 'install | which: the pinned Sui CLI in a per-user cache, verified',
	usage: USAGE,
	async run(args, io) {
		const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE);
		const [action, ...rest] = positionals;
		if (rest.length > 0)
			throw new UsageError('arguments', `unexpected '${rest.join(' ')}'\n${USAGE}`);
		if (action === 'which') {
			if (values.version !== undefined || values.sha256 !== undefined) {
				throw new UsageError('options', '--version/--sha256 only apply to `sui install`');
			}
			const binary = findSuiBinary(io.env);
			io.result(
				{ sui: binary ?? null, cache: cacheDir(io.env) ?? null },
				binary ?? 'no sui found: run `seal-policies sui install`',
			);
			return binary === undefined ? 1 : 0;
		}
		if (action !== 'install') {
			throw new UsageError(
				'subcommand',
				`expected install or which, got '${action ?? ''}'\n${USAGE}`,
			);
		}
		if (values.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(values.sha256)) {
			throw new UsageError('--sha256', `expected 64 hex digits, got '${values.sha256}'`);
		}
		const result = await installSuiWithProgress(io, {
			...(values.version === undefined ? {} : { version: values.version }),
			...(values.sha256 === undefined ? {} : { sha256: values.sha256 }),
		});
		io.result(
			result,
			result.reused
				? `sui ${result.tag} is already installed: ${result.binary}`
				: `installed sui ${result.tag} (${result.platform}): ${result.binary}`,
		);
		return 0;
	},
};
