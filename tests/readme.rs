//! The README's examples cannot drift: every fenced block whose info string is `sh runnable` is
//! extracted and run, command by command, against the demo mirror (`make demo SERVE=0`, shared
//! with tests/newcomer.rs), with the tools on PATH as `make install` puts them, a tmdb-sim
//! serving the demo's catalog for `tmdb-fetch`, and a tmdb-serve on a free port standing in for
//! `localhost:8000`.
//!
//! A block runs as one script (a variable set by one line is there for the next), each command's
//! stdout kept apart. Each command must succeed and print something other than `null`: "prints
//! nothing on the demo data" is the failure this test exists for. Exempt are commands whose
//! output goes to a file (`>`), that print nothing by design (`mv`, `rm`, `export`, an
//! assignment), or that end in `ndjson-load` (which reports on stderr).
//!
//! The examples use TMDB's movies 550, 603, 194 and person 287, which tmdb-sim reserves in
//! every catalog; a tmdb-sim without them fails exactly those lookups.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::newcomer::{Served, demo_data};
use crate::util::{Sim, Workdir, bin, repo_root, run_with_input};

/// The demo's catalog (scripts/demo.sh): same arguments, same movies and people.
const DEMO_SIM: &[&str] = &[
    "--movies",
    "2000",
    "--seed",
    "42",
    "--token",
    "readme-token",
];

/// The commands of every `sh runnable` block, in order: backslash continuations joined,
/// blank and comment lines dropped. Each comes with its block's first line number.
pub fn runnable_commands(readme: &str) -> Vec<(usize, String)> {
    let mut commands = Vec::new();
    let mut in_block = false;
    let mut runnable = false;
    let mut start = 0;
    let mut pending = String::new();
    for (index, line) in readme.lines().enumerate() {
        let trimmed = line.trim_end();
        if let Some(info) = trimmed.strip_prefix("```") {
            if in_block {
                in_block = false;
                runnable = false;
            } else {
                in_block = true;
                runnable = info.split_whitespace().collect::<Vec<_>>() == ["sh", "runnable"];
                start = index + 2;
            }
            continue;
        }
        if !(in_block && runnable) {
            continue;
        }
        if pending.is_empty() && (trimmed.trim().is_empty() || trimmed.trim().starts_with('#')) {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            pending.push_str(head);
            continue;
        }
        pending.push_str(trimmed);
        commands.push((start, std::mem::take(&mut pending)));
    }
    commands
}

/// Whether a command may print nothing (see the module's comment).
fn silent_by_design(command: &str) -> bool {
    let first = command.split_whitespace().next().unwrap_or_default();
    let last_stage = command.rsplit('|').next().unwrap_or_default().trim();
    command.contains('>')
        || ["mv", "rm", "export"].contains(&first)
        || first.contains('=')
        || last_stage.starts_with("ndjson-load")
}

fn copy_files(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn the_extractor_finds_runnable_blocks_only() {
    let text = "```sh\nnot me\n```\n```sh runnable\n# a comment\necho one \\\n  two\n\necho three\n```\n```\nnor me\n```\n";
    assert_eq!(
        runnable_commands(text),
        [
            (5, "echo one   two".to_owned()),
            (5, "echo three".to_owned())
        ]
    );
    assert!(silent_by_design("tmdb-fetch movies > out.ndjson"));
    assert!(silent_by_design(
        "echo 1 | tmdb-fetch people | ndjson-load --kind people"
    ));
    assert!(!silent_by_design("curl -s localhost:8000/movies | jq ."));
}

#[test]
fn every_runnable_readme_example_runs_on_the_demo_mirror_and_prints_something() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let commands = runnable_commands(&readme);
    assert!(
        commands.len() >= 15,
        "only {} runnable commands: was the `sh runnable` marker lost?",
        commands.len()
    );

    let work = Workdir::new("readme");
    // The examples run from a folder whose data/ is a copy of the demo mirror (some write).
    copy_files(&demo_data().join("demo"), &work.join("data"));
    let sim = Sim::start(DEMO_SIM);
    let mut serve = Command::new(bin("tmdb-serve"));
    serve
        .current_dir(&work.path)
        .args(["--db", "data/tmdb.db", "--addr", "127.0.0.1:0"])
        .env_remove("DB")
        .env_remove("DB_URL");
    let served = Served::start(serve, work.join("serve.stderr"));
    let host = served.url.trim_start_matches("http://").to_owned();
    // The tools by name, as after `make install`.
    let tools: PathBuf = bin("tmdb-fetch").parent().unwrap().to_owned();
    let path = format!("{}:{}", tools.display(), std::env::var("PATH").unwrap());

    let total = commands.len();
    let mut blocks: Vec<(usize, Vec<String>)> = Vec::new();
    for (line, command) in commands {
        match blocks.last_mut() {
            Some((start, list)) if *start == line => list.push(command),
            _ => blocks.push((line, vec![command])),
        }
    }
    let mut failures = Vec::new();
    for (line, block) in &blocks {
        // Each command's stdout and exit status go to their own files; a failure does not stop
        // the block, so one run reports every command that fails.
        let mut script = String::from("set -uo pipefail\n");
        for (index, command) in block.iter().enumerate() {
            let local = command
                .replace("localhost:8000", &host)
                .replace("127.0.0.1:8000", &host);
            script.push_str(&format!(
                "{{ {local}\n}} > .readme-out-{index} 2> .readme-err-{index}\necho $? > .readme-status-{index}\n"
            ));
        }
        let mut cmd = Command::new("bash");
        cmd.current_dir(&work.path)
            .args(["-c", &script])
            .env("PATH", &path)
            .env("TMDB_TOKEN", "readme-token")
            .env("TMDB_API_URL", sim.api_url())
            .env("TMDB_EXPORT_URL", sim.export_url())
            .env_remove("BEARER_TOKEN")
            .env_remove("DATA")
            .env_remove("DB")
            .env_remove("DB_URL");
        let out = run_with_input(cmd, b"", Duration::from_secs(300));
        for (index, command) in block.iter().enumerate() {
            let status = std::fs::read_to_string(work.join(format!(".readme-status-{index}")))
                .unwrap_or_else(|_| panic!("the block at line {line} stopped early\n{out}"));
            if status.trim() != "0" {
                failures.push(format!(
                    "README.md block at line {line}: `{command}` exited {}: {}",
                    status.trim(),
                    work.read(format!(".readme-err-{index}")).trim()
                ));
                continue;
            }
            let printed = work.read(format!(".readme-out-{index}"));
            // jq on a 404's error body prints `null`: that is nothing found too.
            let nothing = printed
                .lines()
                .all(|l| l.trim().is_empty() || l.trim() == "null");
            if nothing && !silent_by_design(command) {
                failures.push(format!(
                    "README.md block at line {line}: `{command}` printed nothing on the demo mirror"
                ));
            }
        }
    }
    drop(served);
    assert!(
        failures.is_empty(),
        "{} of {} README commands failed:\n{}",
        failures.len(),
        total,
        failures.join("\n")
    );
}
