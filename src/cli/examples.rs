//! The example shown after each subcommand's `--help`. Every one runs from the repository
//! root on the bundled sample data; the binary's tests parse each against the command line,
//! so an example cannot name an option that does not exist.

pub const RUN: &str = r#"Example (the README's main command; the ledger is ./callsla.db):
  callsla run --contract sample-data/contract.toml --input sample-data/interactions.csv \
    --forecast sample-data/forecast.csv --outages sample-data/outages.csv \
    --payments sample-data/payments.csv --events sample-data/events.csv \
    --out target/assessment --force"#;

pub const CLOSE: &str = r#"Example:
  callsla close --contract sample-data/contract.toml --period 2026-08 \
    --by "Finance, ACME" --at 2026-09-05 --accept-provisional"#;

pub const HISTORY: &str = r#"Example:
  callsla history --format csv --as-of 2026-11-15"#;

pub const REPORT: &str = r#"Example:
  callsla report --runs target/2026-08 target/2026-09 target/2026-10 --out target/portfolio.html"#;

pub const STATEMENT: &str = r#"Example:
  callsla statement --as-of 2026-12-15 --format csv --out target/statement.csv"#;

pub const LEDGER_EXPORT: &str = r#"Example:
  callsla ledger export --out target/ledger.json"#;

pub const LEDGER_REBUILD: &str = r#"Example:
  callsla ledger rebuild --ledger target/rebuilt.db --from target/2026-08 target/2026-09"#;

pub const VERIFY: &str = r#"Example:
  callsla verify target/assessment"#;

pub const DIFF: &str = r#"Example (exit 0 when they agree, 1 when they differ):
  callsla diff target/assessment target/agreed"#;

pub const EXPLAIN: &str = r#"Example:
  callsla explain --assessment target/assessment --sla SL-1 --period 2026-08"#;

pub const INGEST: &str = r#"Example:
  callsla ingest --profile sample-data/profiles/pwc_phonenow.toml --input 'exports/*.csv' \
    --rejects target/rejects.csv --out target/rows.parquet"#;

pub const METRICS: &str = r#"Example:
  callsla metrics --input sample-data/interactions.csv --tz America/New_York \
    --period month --by channel,queue --format csv"#;

pub const CHECK: &str = r#"Example:
  callsla check --contract sample-data/contract.toml"#;

pub const GENERATE: &str = r#"Example (the bundled sample log):
  callsla generate --rows 24000 --months 3 --start 2026-08 --seed 2026 --slow-months 1 \
    --out sample-data/interactions.csv"#;

pub const COMPLETIONS: &str = r#"Example (bash; zsh, fish, elvish and powershell alike):
  callsla completions bash > ~/.local/share/bash-completion/completions/callsla"#;

pub const MAN: &str = r#"Example (a page for callsla and one for each subcommand):
  callsla man --out target/man && man target/man/callsla-run.1"#;

pub const DISPUTE_OPEN: &str = r#"Example:
  callsla dispute open --contract sample-data/contract.toml --document ACME-CONTOSO-2026-08 \
    --sla SL-1 --period 2026-08 --amount 1764.78 --reason "outage excluded by clause 7" \
    --by "J. Client" --at 2026-09-20"#;

pub const DISPUTE_ADVANCE: &str = r#"Example:
  callsla dispute advance --contract sample-data/contract.toml --id 1 --to mediation \
    --by "J. Client" --at 2026-10-12"#;

pub const DISPUTE_RESOLVE: &str = r#"Example:
  callsla dispute resolve --contract sample-data/contract.toml --id 1 --outcome settled \
    --amount 800 --by "Mediator" --at 2026-11-20"#;

pub const DISPUTE_LIST: &str = r#"Example:
  callsla dispute list --contract sample-data/contract.toml --as-of 2026-11-15"#;

/// The command lines in an example text: lines starting with `callsla`, with `\` continuations
/// joined, split into words as a POSIX shell would for double and single quotes (the only
/// quoting the examples use). Text after `>` or `&&` is not part of the command.
pub fn command_lines(example: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in example.lines().map(str::trim) {
        let (text, continues) = match line.strip_suffix('\\') {
            Some(t) => (t, true),
            None => (line, false),
        };
        match current.as_mut() {
            Some(c) => {
                c.push(' ');
                c.push_str(text);
            }
            None if text.starts_with("callsla ") => current = Some(text.to_string()),
            None => continue,
        }
        if !continues {
            out.extend(current.take().map(|c| words(&c)));
        }
    }
    out
}

fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, ' ') => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    // Redirections and a following command are the shell's, not callsla's.
    if let Some(i) = words.iter().position(|w| w == ">" || w == "&&") {
        words.truncate(i);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_join_continuations_and_keep_quoted_words_whole() {
        let got = command_lines("Example:\n  callsla a --by \"J. Client\" \\\n    --x 'y z' > f && man f\nnot this");
        assert_eq!(got, vec![vec!["callsla", "a", "--by", "J. Client", "--x", "y z"]]);
        assert_eq!(command_lines("no command here"), Vec::<Vec<String>>::new());
    }
}
