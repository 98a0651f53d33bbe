import type { Command } from '../cli-io.js';

// PLACEHOLDER: replaced by the helper that owns this command. Must not remain at submission.
export const command: Command = {
	summary: '(not yet available)',
	usage: 'seal-policies audit',
	async run() {
		throw new Error('seal-policies audit is not available yet');
	},
};
