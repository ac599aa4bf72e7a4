//! Dependencies point down the pipeline: no module of `src/` uses a module of a higher stage
//! (issue 17). The levels below are the architecture; a new module must be placed in them.

/// Each top-level module of the library and its stage; a module may use its own stage and
/// those below.
const LEVELS: &[(&str, u32)] = &[
    ("util", 0),
    ("money", 0),
    ("exit", 0),
    ("config_error", 0),
    ("pseudonym", 0),
    ("lookalike", 0),
    ("schema", 0),
    ("time", 0),
    ("generate", 0),
    ("ingest", 1),
    ("metrics", 2),
    ("contract", 3),
    ("rules", 4),
    ("billing", 5),
    ("assessment", 6),
    ("manifest", 6),
    ("report", 7),
    ("ledger", 7),
    ("run", 8),
    ("cli", 9),
];

fn level(module: &str) -> Option<u32> {
    LEVELS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_module_uses_a_higher_stage() {
    let src = crate::common::repo("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut wrong = Vec::new();
    for path in all {
        let rel = path.strip_prefix(&src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if first == "lib" || first == "main" {
            continue;
        }
        let own =
            level(&first).unwrap_or_else(|| panic!("src/{} is in no stage: add `{first}` to LEVELS", rel.display()));
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for (i, _) in code.match_indices("crate::") {
                let dep: String =
                    code[i + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                match level(&dep) {
                    Some(l) if l <= own => {}
                    Some(l) => wrong.push(format!(
                        "src/{}:{}: {first} (stage {own}) uses {dep} (stage {l})",
                        rel.display(),
                        n + 1
                    )),
                    None => wrong.push(format!("src/{}:{}: unknown module crate::{dep}", rel.display(), n + 1)),
                }
            }
        }
    }
    assert!(wrong.is_empty(), "dependencies must point down the pipeline:\n{}", wrong.join("\n"));
}
