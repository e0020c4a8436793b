#!/usr/bin/env -S npx tsx
import { main } from './commands/main.ts';

// The SDK clients are pinned; their warning about the Node versions of future SDK releases is noise on every call.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const code = await main(process.argv.slice(2));
// Exit once the output is flushed: SDK clients keep sockets open, which would hold the process for their idle timeout.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
