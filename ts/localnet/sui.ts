/** The `sui` binary the localnet needs, and the one-line error when it is missing. */
import { PrerequisiteMissingError } from '../errors.js';
import { findSuiBinary } from '../move/sui-binary.js';

/** One line: what is missing, the command that fixes it, and the other ways to install it. */
export const SUI_MISSING_MESSAGE =
	'no `sui` binary found (SUI_BIN, `seal-policies sui install`, or PATH): run `seal-policies sui install` (or pass --install-sui), or install it with suiup (`curl -sSfL https://raw.githubusercontent.com/Mystenlabs/suiup/main/install.sh | sh && suiup install sui`), Homebrew (`brew install sui`) or cargo (`cargo install --locked --git https://github.com/MystenLabs/sui.git sui`)';

/** Path of the `sui` binary; throws PrerequisiteMissingError with `SUI_MISSING_MESSAGE`. */
export function requireSui(env: Readonly<Record<string, string | undefined>>): string {
	const found = findSuiBinary(env);
	if (found === undefined) throw new PrerequisiteMissingError('sui', SUI_MISSING_MESSAGE);
	return found;
}
