export interface Args {
  quick: boolean;
  only: string[] | null;
  help: boolean;
  /** Directory for the relay's V8 CPU profiles (`--cpu-prof <dir>`). */
  cpuProf: string | null;
}

/** `--quick`, `--only <name>[,<name>…]` (repeatable), `--cpu-prof <dir>`, `--help`. */
export function parseArgs(argv: readonly string[], known: readonly string[]): Args {
  const args: Args = { quick: false, only: null, help: false, cpuProf: null };
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
    } else if (arg === '--cpu-prof') {
      const dir = argv[++i];
      if (!dir) throw new Error('--cpu-prof needs a directory');
      args.cpuProf = dir;
    } else throw new Error(`unknown argument ${arg}; try --help`);
  }
  return args;
}
