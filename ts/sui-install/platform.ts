/**
 * Which Sui release asset fits this machine. Sui's release workflow
 * (MystenLabs/sui .github/workflows/release.yml @ a6b096a1b0613fd0eafe484b0de2ac25d4b897fe)
 * names each archive `sui-<tag>-<os>-<uname -m>.tgz`, `<os>` being the first word of the
 * runner's name: `ubuntu-x86_64`, `ubuntu-aarch64`, `macos-x86_64`, `macos-arm64`,
 * `windows-x86_64`.
 */
import { SuiInstallError } from './errors.js';

export type SuiPlatform =
	'ubuntu-x86_64' | 'ubuntu-aarch64' | 'macos-x86_64' | 'macos-arm64' | 'windows-x86_64';

const PLATFORMS: Record<string, SuiPlatform> = {
	'linux/x64': 'ubuntu-x86_64',
	'linux/arm64': 'ubuntu-aarch64',
	'darwin/x64': 'macos-x86_64',
	'darwin/arm64': 'macos-arm64',
	'win32/x64': 'windows-x86_64',
};

/** The release platform for Node's `process.platform` / `process.arch`. */
export function suiPlatform(platform: string, arch: string): SuiPlatform {
	const found = PLATFORMS[`${platform}/${arch}`];
	if (found === undefined) {
		throw new SuiInstallError(
			`Sui publishes no release binary for ${platform}/${arch} (only ${Object.keys(PLATFORMS).join(', ')}): build it with \`cargo install --locked --git https://github.com/MystenLabs/sui.git sui\` and set SUI_BIN`,
		);
	}
	return found;
}

/** `sui` or `sui.exe`: the binary's name inside the archive and in the cache. */
export function suiExecutableName(platform: SuiPlatform): string {
	return platform.startsWith('windows-') ? 'sui.exe' : 'sui';
}

/** The archive name Sui's release workflow attaches to release `tag`. */
export function suiAssetName(tag: string, platform: SuiPlatform): string {
	return `sui-${tag}-${platform}.tgz`;
}
