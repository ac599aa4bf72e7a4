//! assessment.json has a JSON Schema (issue 20): docs/assessment.schema.json, draft 2020-12,
//! with every object closed (`additionalProperties: false`), so a field added to the output
//! without the schema fails here. Checked with Python's `jsonschema` (installed by .ci/run)
//! against the golden file and the assessments of a ledger month by month with a dispute
//! settled by a credit note.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common::*;

const CHECK: &str = r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
bad = 0
for f in sys.argv[2:]:
    for e in v.iter_errors(json.load(open(f))):
        bad += 1
        print(f, list(e.absolute_path), e.message[:300])
sys.exit(1 if bad else 0)
"#;

fn validator() -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "CI must install Python's jsonschema (.ci/run does)");
        eprintln!("SKIPPED: Python's jsonschema is not installed (pip install jsonschema)");
    }
    ok
}

fn validate(files: &[std::path::PathBuf]) {
    let mut args = vec!["-c".to_string(), CHECK.to_string(), s(&repo("docs/assessment.schema.json")).to_string()];
    args.extend(files.iter().map(|f| s(f).to_string()));
    let out = std::process::Command::new("python3").args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "assessment.json does not match docs/assessment.schema.json:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_assessment_matches_the_json_schema() {
    if !validator() {
        return;
    }
    let t = TempDir::new("schema");
    let db = t.path("acme.db");
    let mut files = vec![repo("tests/golden/assessment.json")];
    let month = |m: &str, out: &str| {
        let mut args: Vec<String> =
            sample_run_args("sample-data/contract.toml", s(&t.path(out))).iter().map(|a| a.to_string()).collect();
        args.retain(|a| a != "--no-ledger");
        args.extend(["--period".into(), m.into(), "--ledger".into(), s(&db).into(), "--force".into()]);
        let r = callsla_in_repo(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(r.code, 0, "{}", r.stderr);
        t.path(out).join("assessment.json")
    };
    for m in ["2026-08", "2026-09", "2026-10"] {
        files.push(month(m, m));
    }
    let c = ["--contract", "sample-data/contract.toml", "--ledger", s(&db)];
    let open = [
        &c[..],
        &["--document", "ACME-CONTOSO-2026-08", "--sla", "SL-1", "--period", "2026-08", "--amount", "500"],
        &["--reason", "r", "--by", "client", "--at", "2026-09-20"],
    ]
    .concat();
    assert_eq!(callsla_in_repo(&[&["dispute", "open"][..], &open].concat()).code, 0);
    let resolve =
        [&c[..], &["--id", "1", "--outcome", "settled", "--amount", "200", "--by", "m", "--at", "2026-10-20"]].concat();
    assert_eq!(callsla_in_repo(&[&["dispute", "resolve"][..], &resolve].concat()).code, 0);
    files.push(month("2026-10", "2026-10-again"));
    let again = std::fs::read_to_string(files.last().unwrap()).unwrap();
    assert!(
        again.contains("\"disputes\"") && again.contains("\"settled_amount\""),
        "the flow reaches the dispute register"
    );
    validate(&files);

    // The schema has teeth: an unknown field and a money amount as a number are refused.
    let golden = std::fs::read_to_string(repo("tests/golden/assessment.json")).unwrap();
    let extra = t.write("extra.json", &golden.replacen("\"engine\":", "\"surprise\": 1,\n  \"engine\":", 1));
    let float = t.write("float.json", &golden.replacen("\"fees\": \"42018.61\"", "\"fees\": 42018.61", 1));
    for bad in [extra, float] {
        let args =
            ["-c".to_string(), CHECK.to_string(), s(&repo("docs/assessment.schema.json")).into(), s(&bad).into()];
        let out = std::process::Command::new("python3").args(&args).output().unwrap();
        assert!(!out.status.success(), "{} passed the schema", bad.display());
    }
}
