import type { Command, Option } from 'commander';
import { examples } from '../lib/cli.js';
import { usage } from '../lib/errors.js';

const flagsOf = (cmd: Command) => cmd.options.flatMap((o: Option) => [o.short, o.long].filter(Boolean) as string[]);

// Every command path ("", "hosts", "hosts ls", ...) with its subcommand names and flags.
function tree(cmd: Command, path: string[] = [], out: { path: string; words: string[] }[] = []) {
  const subs = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  out.push({
    path: path.join(' '),
    words: [...subs.flatMap((c) => [c.name(), ...c.aliases()]), ...flagsOf(cmd), '--help'],
  });
  for (const c of subs) {
    tree(c, [...path, c.name()], out);
    for (const alias of c.aliases()) tree(c, [...path, alias], out);
  }
  return out;
}

export function bashScript(program: Command): string {
  const cases = tree(program)
    .map(({ path, words }) => `    "${path}") words="${words.join(' ')}" ;;`)
    .join('\n');
  return `# bash completion for corral (corral completion bash > /etc/bash_completion.d/corral)
_corral() {
  local cur path="" i w words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    case "\${path:+$path }$w" in
${tree(program)
  .filter((t) => t.path)
  .map((t) => `      "${t.path}") path="${t.path}" ;;`)
  .join('\n')}
    esac
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _corral corral
`;
}

export function zshScript(program: Command): string {
  return `#compdef corral
# zsh completion for corral (corral completion zsh > "\${fpath[1]}/_corral")
autoload -U +X bashcompinit && bashcompinit
${bashScript(program)}`;
}

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print the shell completion script')
    .argument('<shell>', 'bash or zsh')
    .addHelpText(
      'after',
      examples(
        'corral completion bash > /etc/bash_completion.d/corral',
        'source <(corral completion bash)',
        'corral completion zsh > ~/.zsh/completions/_corral',
      ),
    )
    .action((shell: string) => {
      if (shell === 'bash') process.stdout.write(bashScript(program));
      else if (shell === 'zsh') process.stdout.write(zshScript(program));
      else throw usage(`no completion for "${shell}"`, 'use bash or zsh');
    });
}
