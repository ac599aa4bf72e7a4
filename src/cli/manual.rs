//! Documents generated from the one clap definition of the command line: shell completion
//! scripts (clap_complete) and man pages (clap_mangen), so neither drifts from the binary.

use std::path::Path;

use super::{write_err, CliError, Outcome};
use crate::util::write_atomic;

/// `callsla completions SHELL`: the completion script on standard output.
pub fn completions(mut cmd: clap::Command, shell: clap_complete::Shell) -> Outcome {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "callsla", &mut buf);
    Outcome::ok(String::from_utf8_lossy(&buf).into_owned())
}

/// `callsla man`: callsla.1 on standard output, or with a folder a page for callsla and one
/// for each subcommand (callsla-run.1, callsla-dispute-open.1, …), each written atomically.
pub fn man(cmd: clap::Command, out: Option<&Path>) -> Result<Outcome, CliError> {
    let render = |cmd: clap::Command| {
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut buf)
            .map(|()| buf)
            .map_err(|e| CliError::Render { what: "man page", message: e.to_string() })
    };
    let Some(dir) = out else {
        return Ok(Outcome::ok(String::from_utf8_lossy(&render(cmd)?).into_owned()));
    };
    std::fs::create_dir_all(dir).map_err(write_err(dir))?;
    // Built, so that each subcommand knows its display name (callsla-run).
    let mut root = cmd.disable_help_subcommand(true);
    root.build();
    let mut pending = vec![root];
    let mut written = Vec::new();
    while let Some(cmd) = pending.pop() {
        pending.extend(cmd.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
        let name = format!("{}.1", cmd.get_display_name().unwrap_or(cmd.get_name()));
        let page = render(cmd)?;
        let path = dir.join(&name);
        write_atomic(&path, |w| w.write_all(&page)).map_err(write_err(&path))?;
        written.push(name);
    }
    written.sort();
    Ok(Outcome::info(format!("wrote {} man pages to {}: {}\n", written.len(), dir.display(), written.join(", "))))
}
