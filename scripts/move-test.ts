/** `npm run move:test [-- --path DIR --filter TEXT --json --verbose]`: see `seal-policies move test --help`. */
import { MOVE_TEST_USAGE, moveTest } from './commands/move.js';
import { runMoveScript } from './move-script.js';

runMoveScript(MOVE_TEST_USAGE, moveTest);
