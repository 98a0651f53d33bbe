/** `npm run move:build [-- --path DIR --json --verbose]`: see `seal-policies move build --help`. */
import { MOVE_BUILD_USAGE, moveBuild } from './commands/move.js';
import { runMoveScript } from './move-script.js';

runMoveScript(MOVE_BUILD_USAGE, moveBuild);
