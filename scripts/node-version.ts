/**
 * The Node.js this CLI needs, checked before any command loads: the vault uses `node:sqlite`,
 * which Node ships without a flag from 22.13. An older Node would otherwise fail deep inside a
 * command with "No such built-in module".
 */
export const MIN_NODE = { major: 22, minor: 13 } as const;

/** One line saying which Node is needed and how to get it, or undefined when `version` will do. */
export function nodeVersionProblem(version: string = process.versions.node): string | undefined {
	const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
	if (major > MIN_NODE.major || (major === MIN_NODE.major && minor >= MIN_NODE.minor)) {
		return undefined;
	}
	return `seal-policies needs Node.js ${MIN_NODE.major}.${MIN_NODE.minor} or newer; this is Node.js ${version.replace(/^v/, '')}. Install Node ${MIN_NODE.major} (e.g. \`nvm install ${MIN_NODE.major}\`), or in a clone run \`npm run cli -- …\`, which uses the project's own Node`;
}
