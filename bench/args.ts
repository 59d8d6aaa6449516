export interface Args {
  quick: boolean;
  only: string[] | null;
  help: boolean;
}

/** `--quick`, `--only <name>[,<name>…]` (repeatable), `--help`. */
export function parseArgs(argv: readonly string[], known: readonly string[]): Args {
  const args: Args = { quick: false, only: null, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--quick') args.quick = true;
    else if (arg === '--help' || arg === '-h') args.help = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      if (!value) throw new Error('--only needs a scenario name');
      const names = value.split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = names.filter((n) => !known.includes(n));
      if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${known.join(', ')}`);
      args.only = [...(args.only ?? []), ...names];
    } else throw new Error(`unknown argument ${arg}; try --help`);
  }
  return args;
}
